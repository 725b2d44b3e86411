import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, type Metrics, Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type middy from '@middy/core';
import type { Span } from '../shared/pipeline/ports.js';
import type { ShardOutcome } from '../shared/pipeline/rerank/fanOutCrossEncoder.js';

/** CloudWatch namespace of every function's metrics unless POWERTOOLS_METRICS_NAMESPACE names another. */
export const METRICS_NAMESPACE = 'RerankPipeline';

export interface Observability {
  logger: Logger;
  /** CloudWatch embedded-metric-format lines, flushed once per invocation. */
  metrics: Metrics;
  /** X-Ray; off outside Lambda and where POWERTOOLS_TRACE_ENABLED=false (the local stack). */
  tracer: Tracer;
  span: Span;
  /** The middy middlewares that tie the three to each invocation (log context, metrics flush, trace segment). */
  middlewares: middy.MiddlewareObj[];
}

/** Each stage as its own X-Ray subsegment; stages may run side by side (hybrid search), so none is made current. */
function tracerSpan(tracer: Tracer): Span {
  return async (name, work) => {
    const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
    if (!parent) return work();
    const subsegment = parent.addNewSubsegment(`### ${name}`);
    try {
      return await work();
    } catch (error) {
      subsegment.addError(error as Error);
      throw error;
    } finally {
      subsegment.close();
    }
  };
}

/** One function's EMF metrics, flushed by `logMetrics(metrics)` once per invocation. */
export function functionMetrics(serviceName: string): Metrics {
  return new PowertoolsMetrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE,
    serviceName,
  });
}

/** Logger, metrics and tracer of one function, named after it. */
export function observability(serviceName: string): Observability {
  const logger = new Logger({ serviceName });
  const metrics = functionMetrics(serviceName);
  const tracer = new Tracer({ serviceName });
  return {
    logger,
    metrics,
    tracer,
    span: tracerSpan(tracer),
    middlewares: [
      captureLambdaHandler(tracer, { captureResponse: false }),
      // resetKeys: the correlation id of one request never leaks into the next one's logs.
      injectLambdaContext(logger, { resetKeys: true }),
      logMetrics(metrics),
    ],
  };
}

/** One count per fanned-out shard, and one per shard scored in-process after its invocations failed (EMF). */
export function recordShard(target: Metrics, outcome: ShardOutcome): void {
  target.addMetric('fanOutShards', MetricUnit.Count, 1);
  target.addMetric('fanOutFallbacks', MetricUnit.Count, outcome.fellBack ? 1 : 0);
}
