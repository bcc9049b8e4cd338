/** One HTTPS request to a test server, the way the aggregator makes it (verifying the service DNS name). */
import { httpsCall, type HttpsCallOptions, type HttpsReply } from '@cnpaas/service-kit/testing';
import { SERVICE_DNS_NAME } from '../api-group.js';

export type CallOptions = HttpsCallOptions;
export type Reply = HttpsReply;

/** `options.servername` defaults to cnpaas-api.cnpaas-system.svc: what the aggregator checks. */
export function call(baseUrl: string, path: string, options: CallOptions): Promise<Reply> {
  return httpsCall(`${baseUrl}${path}`, { ...options, servername: options.servername ?? SERVICE_DNS_NAME });
}
