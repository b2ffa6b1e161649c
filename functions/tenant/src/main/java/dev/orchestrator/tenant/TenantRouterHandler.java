package dev.orchestrator.tenant;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.Env;
import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.Json;
import dev.orchestrator.obs.Log;
import dev.orchestrator.obs.Trace;
import dev.orchestrator.obs.Metrics;
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
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Target of the tenant rules: validates the event, routes it by detail-type (else detail.type) to its handler, and
 * handles every event once (by {@link TenantEvent#idempotencyKey()}). Any failure fails the
 * invocation, so EventBridge retries and then dead-letters the event.
 */
public final class TenantRouterHandler implements RequestStreamHandler {

    /** Claim lifetime when no Lambda context tells the remaining time: Lambda's longest timeout. */
    static final long DEFAULT_LEASE_MILLIS = 15 * 60 * 1000L;
    private static final Log LOG = Log.of(TenantRouterHandler.class);

    private final Set<String> acceptedSources;
    private final SbtAws sbt;
    private final TenantStore store;
    private final Map<String, TenantEventHandler> handlers = new LinkedHashMap<>();

    public TenantRouterHandler() {
        this(System.getenv());
    }

    private final Trace.Config trace;

    public TenantRouterHandler(Map<String, String> environment) {
        Env env = new Env(environment);
        AwsClients aws = new AwsClients(env);
        var dynamo = aws.dynamo();
        this.acceptedSources = split(env.get(EnvNames.TENANT_EVENT_SOURCES, "")).stream().collect(Collectors.toSet());
        this.sbt = new SbtAws(env.get(EnvNames.SBT_AWS_DETAIL_TYPE_PREFIX, SbtAws.DEFAULT_PREFIX),
                SbtAws.csv(env.get(EnvNames.SBT_AWS_EVENT_SOURCES, SbtAws.DEFAULT_CONTROL_PLANE_SOURCE)),
                env.get(EnvNames.SBT_AWS_APPLICATION_SOURCE, SbtAws.DEFAULT_APPLICATION_SOURCE),
                SbtAws.csv(env.get(EnvNames.SBT_AWS_REGISTRATION_VARIABLES, SbtAws.DEFAULT_REGISTRATION_VARIABLES)));
        this.store = new TenantStore(dynamo, env.require(EnvNames.TIER_TABLE), env.require(EnvNames.TENANT_JOBS_TABLE),
                env.require(EnvNames.PROCESSED_EVENTS_TABLE));
        TenantEvents bus = new TenantEvents(AwsClients.memoize(aws::events), env.require(EnvNames.EVENT_BUS_NAME));
        // Built on first use: only (de)provisioning events start builds or store secrets. A supplier, not
        // a proxy of the client interface: a proxy loads and initializes every request class of the service.
        TenantSecrets secrets = new TenantSecrets(AwsClients.memoize(() -> aws.configure(SsmClient.builder()).build()));
        handlers.putAll(new DefaultHandlers(store, bus, AwsClients.memoize(() -> aws.configure(CodeBuildClient.builder()).build()),
                secrets, env.require(EnvNames.TENANT_SECRETS_PATH), env.get(EnvNames.TENANT_WORKFLOW, "tenant-onboarding"),
                split(env.get(EnvNames.TENANT_ACTIVITIES, "")), sbt).all());
        Log.configure(environment);
        Metrics.configure(environment);
        this.trace = Trace.Config.of(environment);
    }

    /**
     * Replaces the handler of one route (a detail-type, build-outcome / workflow-outcome, or an sbt-aws
     * request's {@link SbtAws.Request#route()}, e.g. {@code sbt_aws_activateRequest}).
     */
    public TenantRouterHandler with(String route, TenantEventHandler handler) {
        handlers.put(route, handler);
        return this;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        Log.init(context);
        Trace.begin(trace);
        // Annotated with the tenantId (and a run's keys when the event names one), set while it is handled.
        try (Trace.Scope scope = Trace.open("tenant event")) {
            String answer;
            try {
                answer = handle(Json.parse(input), context);
            } catch (RuntimeException e) {
                scope.fail(e);
                throw e;
            }
            output.write(answer.getBytes(StandardCharsets.UTF_8));
        } finally {
            Metrics.flush();
            Log.clear();
            Trace.end();
        }
    }

    private String handle(com.fasterxml.jackson.databind.JsonNode raw, Context context) {
        TenantEvent event;
        String route;
        try {
            event = TenantEvent.parse(raw, t -> sbt.request(t).isPresent());
            Log.put(Log.TENANT_ID, event.tenantIdHint());
            route = TenantRoutes.route(event, acceptedSources, sbt);
        } catch (InvalidTenantEventException e) {
            refused(e, raw);
            throw e;
        }
        TenantEventHandler handler = handlers.get(route);
        if (handler == null) {
            InvalidTenantEventException e = new InvalidTenantEventException("no handler for " + route);
            refused(e, raw);
            throw e;
        }
        String key = event.idempotencyKey();
        long now = System.currentTimeMillis();
        // The claim lives as long as this invocation can: a timeout or crash does not block the event.
        long lease = context == null ? DEFAULT_LEASE_MILLIS : context.getRemainingTimeInMillis();
        TenantStore.Claim claim = store.tryClaim(key, now, lease);
        if (claim == TenantStore.Claim.IN_FLIGHT) {
            claim = awaitOtherInvocation(key, route, context);
        }
        if (claim == TenantStore.Claim.DONE) {
            LOG.info("duplicate event ignored: handled already", "route", route, "source", event.source(), "eventKey", key);
            Metrics.count(Metrics.TENANT_DUPLICATE_EVENTS, null);
            return "{\"duplicate\":true}";
        }
        LOG.info("event routed", "route", route, "source", event.source(), "eventKey", key);
        try {
            handler.handle(event);
        } catch (RuntimeException e) {
            // The cause first: a failing release must not hide why the event failed.
            if (e instanceof InvalidTenantEventException) {
                refused(e, raw);
            } else {
                LOG.error("event failed; EventBridge will retry it", e, "route", route, "eventKey", key,
                        "action", "after its retries the event is in the tenant router's dead-letter queue: fix the cause, then send it again");
            }
            try {
                store.release(key); // let EventBridge's retry handle it again
            } catch (RuntimeException notReleased) {
                LOG.warn("event's claim not released; a retry waits for its lease to lapse", "eventKey", key,
                        "cause", String.valueOf(notReleased));
                e.addSuppressed(notReleased);
            }
            throw e;
        }
        try {
            store.done(key, System.currentTimeMillis());
        } catch (RuntimeException e) {
            LOG.error("event handled but not marked done; a redelivery may handle it again", e, "route", route, "eventKey", key,
                    "action", "check that the function may write ProcessedEventsTable; until it can, a redelivered copy is handled again");
            throw e;
        }
        return "{\"handled\":true}";
    }

    /** Time kept back from waiting on another invocation, to handle the event ourselves if it died. */
    static final long HANDLING_RESERVE_MILLIS = 10_000;

    /**
     * A copy of an event another invocation is handling right now (producers and EventBridge deliver
     * at least once; three copies at once are common). It is a duplicate, not a failure: wait until
     * the other invocation marks it done (then count it as a duplicate) or its claim expires because
     * it died (then claim and handle it here). Only when neither happens within this invocation's own
     * time does it fail, so Lambda's retry comes back after the claim has expired.
     */
    private TenantStore.Claim awaitOtherInvocation(String key, String route, Context context) {
        LOG.info("duplicate event: another invocation is handling it; waiting for it to finish or its claim to expire",
                "route", route, "eventKey", key);
        long pause = 100;
        while (true) {
            long remaining = context == null ? DEFAULT_LEASE_MILLIS : context.getRemainingTimeInMillis();
            if (remaining - pause < HANDLING_RESERVE_MILLIS) {
                LOG.warn("event still held by another invocation; failing so Lambda retries it after the claim expires",
                        "route", route, "eventKey", key);
                throw new TenantStore.InFlightException(key);
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TenantStore.InFlightException(key);
            }
            pause = Math.min(2_000, pause * 2);
            TenantStore.Claim claim = store.tryClaim(key, System.currentTimeMillis(),
                    context == null ? DEFAULT_LEASE_MILLIS : context.getRemainingTimeInMillis());
            if (claim == TenantStore.Claim.CLAIMED) {
                LOG.warn("the other invocation's claim expired before it finished; handling the event here",
                        "route", route, "eventKey", key);
            }
            if (claim != TenantStore.Claim.IN_FLIGHT) {
                return claim;
            }
        }
    }

    /** One line per refused message: what was wrong, never the event (it may carry secrets). */
    private static void refused(RuntimeException e, com.fasterxml.jackson.databind.JsonNode raw) {
        LOG.warn("message refused", "source", raw == null ? null : raw.path("source").asText(null),
                "detailType", raw == null ? null : raw.path("detail-type").asText(null), "reason", e.getMessage());
    }

    static List<String> split(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
