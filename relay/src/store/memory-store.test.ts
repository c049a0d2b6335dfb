import { announceStoreContract } from './announce-store.contract'
import { MemoryAnnounceStore } from './memory-store'

announceStoreContract('MemoryAnnounceStore', () => new MemoryAnnounceStore())
