import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A proxy of the benchmark, listening on loopback. */
export interface RunningProxy {
  url: string;
  close(): Promise<void>;
}

/** Listens on an ephemeral loopback port; closing drops the proxy's upstream pool and its connections. */
export async function listenOnLoopback(server: http.Server, agent: http.Agent): Promise<RunningProxy> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
