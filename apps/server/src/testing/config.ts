import { loadConfig, type ServerConfig } from '../config';

/** A config from an empty environment (api.md defaults), silent logs, with overrides. */
export function testConfig(overrides: Partial<ServerConfig> = {}, env: Record<string, string> = {}): ServerConfig {
  return { ...loadConfig({ VAD_LOG_LEVEL: 'silent', VAD_WORKERS: '1', ...env }), ...overrides };
}
