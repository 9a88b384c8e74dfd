import { MemoryTokenCache } from '../../src/fortellis/token-provider';
import { FakeClock } from '../support/fake-clock';
import { describeTokenCacheContract } from '../support/contracts/token-cache.contract';

describeTokenCacheContract('memory', async () => {
  const clock = new FakeClock();
  return { cache: new MemoryTokenCache(clock), clock, close: async () => undefined };
});
