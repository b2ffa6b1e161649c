package dev.orchestrator.tenant;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import java.util.function.Supplier;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;

/** Puts events on the stack's bus; a refused entry is an error, never ignored. */
public final class TenantEvents {

    private final Supplier<EventBridgeClient> events;
    private final String bus;

    public TenantEvents(EventBridgeClient events, String bus) {
        this(() -> events, bus);
    }

    /** The client is asked for on the first event put (cold start: most events the router handles put none). */
    public TenantEvents(Supplier<EventBridgeClient> events, String bus) {
        this.events = events;
        this.bus = bus;
    }

    public void put(String source, String detailType, ObjectNode detail) {
        PutEventsResponse r = events.get().putEvents(b -> b.entries(e -> e.eventBusName(bus).source(source)
                .detailType(detailType).detail(Json.write(detail))));
        if (r.failedEntryCount() != null && r.failedEntryCount() > 0) {
            throw new IllegalStateException("PutEvents refused " + detailType + ": " + r.entries());
        }
    }

    public void put(String detailType, ObjectNode detail) {
        put(TenantEventTypes.OWN_SOURCE, detailType, detail);
    }
}
