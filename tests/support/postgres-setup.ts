import type { TestProject } from 'vitest/node'
import { startThrowawayCluster } from '../../relay/src/store/pg/throwaway-cluster'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test cluster's URL, or '' when PostgreSQL tests are off. */
    postgresUrl: string
    postgresOff: string
  }
}

/**
 * Vitest global setup: one throwaway PostgreSQL cluster for the whole run.
 * `TSEED_TEST_POSTGRES=off` turns the PostgreSQL tests off (they skip and
 * say why); `TSEED_TEST_POSTGRES_URL` uses a server of one's own instead.
 */
export default async function setup(project: TestProject): Promise<(() => void) | undefined> {
  if (process.env.TSEED_TEST_POSTGRES === 'off') {
    project.provide('postgresUrl', '')
    project.provide('postgresOff', 'TSEED_TEST_POSTGRES=off')
    return undefined
  }
  const given = process.env.TSEED_TEST_POSTGRES_URL
  if (given !== undefined && given !== '') {
    project.provide('postgresUrl', given)
    project.provide('postgresOff', '')
    return undefined
  }
  const cluster = await startThrowawayCluster()
  // Child processes the tests start (two relays on one database) read it here.
  process.env.TSEED_TEST_POSTGRES_URL = cluster.url
  project.provide('postgresUrl', cluster.url)
  project.provide('postgresOff', '')
  return () => {
    cluster.stop()
  }
}
