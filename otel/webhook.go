package tokenimotel

import (
	"context"

	"github.com/tokenim/tokenim-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

var _ tokenim.WebhookObserver = (*Observer)(nil)

// ObserveWebhook counts the delivery in tokenim.webhook.deliveries and
// records tokenim.webhook.handler.duration, both by tokenim.webhook.result
// (with tokenim.webhook.reason for a rejected or failed one) and
// tokenim.event_type. When the request already has a span (the server's
// own instrumentation, such as otelhttp), the delivery's result, reason,
// webhook id and event type are added to it.
func (o *Observer) ObserveWebhook(ctx context.Context, d tokenim.WebhookDelivery) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(AttrWebhookResult.String(string(d.Result)))
		if d.Reason != "" {
			span.SetAttributes(AttrWebhookReason.String(d.Reason))
		}
		if d.WebhookID != "" {
			span.SetAttributes(AttrWebhookID.String(d.WebhookID), AttrEventType.String(string(d.EventType)))
		}
	}
	if !o.deliveries.Enabled(ctx) && !o.handlerDuration.Enabled(ctx) {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 3)
	attrs = append(attrs, AttrWebhookResult.String(string(d.Result)))
	if d.Reason != "" {
		attrs = append(attrs, AttrWebhookReason.String(d.Reason))
	}
	if d.EventType != "" {
		attrs = append(attrs, AttrEventType.String(string(d.EventType)))
	}
	set := metric.WithAttributeSet(attribute.NewSet(attrs...))
	o.deliveries.Add(ctx, 1, set)
	o.handlerDuration.Record(ctx, d.Duration.Seconds(), set)
}
