package dev.orchestrator.tenant;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.Env;
import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.codebuild.CodeBuildClient;

/**
 * Target of the tenant rules: validates the event, routes it by detail-type to its handler, and
 * handles every event once (by {@link TenantEvent#idempotencyKey()}). Any failure fails the
 * invocation, so EventBridge retries and then dead-letters the event.
 */
public final class TenantRouterHandler implements RequestStreamHandler {

    private final Set<String> acceptedSources;
    private final TenantStore store;
    private final Map<String, TenantEventHandler> handlers = new LinkedHashMap<>();

    public TenantRouterHandler() {
        this(System.getenv());
    }

    public TenantRouterHandler(Map<String, String> environment) {
        Env env = new Env(environment);
        AwsClients aws = new AwsClients(env);
        var dynamo = aws.dynamo();
        this.acceptedSources = split(env.get(EnvNames.TENANT_EVENT_SOURCES, "")).stream().collect(Collectors.toSet());
        this.store = new TenantStore(dynamo, env.require(EnvNames.TIER_TABLE), env.require(EnvNames.TENANT_JOBS_TABLE),
                env.require(EnvNames.PROCESSED_EVENTS_TABLE));
        TenantEvents bus = new TenantEvents(aws.events(), env.require(EnvNames.EVENT_BUS_NAME));
        // CodeBuild is built on first use: only (de)provisioning events start builds.
        handlers.putAll(new DefaultHandlers(store, bus, AwsClients.lazy(CodeBuildClient.class, () -> aws.configure(CodeBuildClient.builder()).build()),
                env.get(EnvNames.TENANT_WORKFLOW, "tenant-onboarding"), split(env.get(EnvNames.TENANT_ACTIVITIES, ""))).all());
    }

    /** Replaces the handler of one route (a detail-type, or build-outcome / workflow-outcome). */
    public TenantRouterHandler with(String route, TenantEventHandler handler) {
        handlers.put(route, handler);
        return this;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        TenantEvent event = TenantEvent.parse(Json.parse(input));
        String route = TenantRoutes.route(event, acceptedSources);
        TenantEventHandler handler = handlers.get(route);
        if (handler == null) {
            throw new InvalidTenantEventException("no handler for " + route);
        }
        String key = event.idempotencyKey();
        if (!store.claim(key, System.currentTimeMillis() / 1000)) {
            output.write("{\"duplicate\":true}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        try {
            handler.handle(event);
        } catch (RuntimeException e) {
            store.release(key); // let EventBridge's retry handle it again
            throw e;
        }
        store.done(key);
        output.write("{\"handled\":true}".getBytes(StandardCharsets.UTF_8));
    }

    static List<String> split(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
