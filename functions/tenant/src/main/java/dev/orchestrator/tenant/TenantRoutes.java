package dev.orchestrator.tenant;

import java.util.Set;
import java.util.TreeSet;

/** Which handler an event goes to, and which events are refused. Pure. */
public final class TenantRoutes {

    /** Route names besides the tenant detail-types themselves. */
    public static final String BUILD_OUTCOME = "build-outcome";
    public static final String WORKFLOW_OUTCOME = "workflow-outcome";

    private TenantRoutes() {
    }

    public static String route(TenantEvent e, Set<String> acceptedSources) {
        return route(e, acceptedSources, null);
    }

    /**
     * With sbt-aws's requests: a detail-type naming one under the deployed prefix routes to that
     * request's route ({@link SbtAws.Request#route()}), from the sources accepted for sbt-aws only.
     */
    public static String route(TenantEvent e, Set<String> acceptedSources, SbtAws sbt) {
        if (sbt != null) {
            var request = sbt.request(e.detailType());
            if (request.isPresent()) {
                requireSource(e, sbt.sources());
                return request.get().route();
            }
        }
        if (TenantEventTypes.BUILD_STATE_CHANGE.equals(e.detailType())) {
            requireSource(e, Set.of(TenantEventTypes.CODEBUILD_SOURCE));
            return BUILD_OUTCOME;
        }
        if (TenantEventTypes.WORKFLOW_COMPLETED.equals(e.detailType()) || TenantEventTypes.WORKFLOW_FAILED.equals(e.detailType())) {
            requireSource(e, Set.of(TenantEventTypes.ORCHESTRATOR_SOURCE));
            return WORKFLOW_OUTCOME;
        }
        if (!TenantEventTypes.TENANT_TYPES.contains(e.detailType())) {
            throw new InvalidTenantEventException("unknown detail-type '" + e.detailType() + "'; expected one of "
                    + TenantEventTypes.TENANT_TYPES);
        }
        Set<String> accepted = new TreeSet<>(acceptedSources);
        accepted.add(TenantEventTypes.OWN_SOURCE);
        requireSource(e, accepted);
        return e.detailType();
    }

    private static void requireSource(TenantEvent e, Set<String> accepted) {
        if (!accepted.contains(e.source())) {
            throw new InvalidTenantEventException("source '" + e.source() + "' is not accepted for " + e.detailType()
                    + " events (accepted: " + String.join(", ", new TreeSet<>(accepted)) + ")");
        }
    }
}
