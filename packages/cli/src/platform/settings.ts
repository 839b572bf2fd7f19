/** Settings of `pnpm ami up` itself (the processes it starts read their own). */
import { parse, setting } from '@ami/shared/config';

export const upSettings = {
  simMetricsPort: setting(
    'AMI_SIM_METRICS_PORT',
    "Port of the live simulator's /metrics under `pnpm ami up` (127.0.0.1)",
    '9467',
    parse.port,
  ),
};
