// MAIN world, document_start, every frame (manifest.json). Built as a
// synchronous IIFE so it runs before any page script; it exports nothing, so
// the build defines no page-visible global.
import { installWsHook } from './ws-hook'

installWsHook(null)
