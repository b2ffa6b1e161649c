package dev.orchestrator.tenant;

import java.util.List;

/** The detail-types of the tenant lifecycle, and the events from elsewhere the router understands. */
public final class TenantEventTypes {

    private TenantEventTypes() {
    }

    public static final String PROVISIONING = "TENANT_PROVISIONING";
    public static final String PROVISIONING_SUCCESS = "TENANT_PROVISIONING_SUCCESS";
    public static final String PROVISIONING_FAILURE = "TENANT_PROVISIONING_FAILURE";
    public static final String DEPROVISIONING = "TENANT_DEPROVISIONING";
    public static final String DEPROVISIONING_SUCCESS = "TENANT_DEPROVISIONING_SUCCESS";
    public static final String DEPROVISIONING_FAILURE = "TENANT_DEPROVISIONING_FAILURE";
    public static final String DEPLOYMENT = "TENANT_DEPLOYMENT";
    public static final String DEPLOYMENT_SUCCESS = "TENANT_DEPLOYMENT_SUCCESS";
    public static final String DEPLOYMENT_FAILURE = "TENANT_DEPLOYMENT_FAILURE";

    public static final List<String> TENANT_TYPES = List.of(PROVISIONING, PROVISIONING_SUCCESS, PROVISIONING_FAILURE,
            DEPROVISIONING, DEPROVISIONING_SUCCESS, DEPROVISIONING_FAILURE, DEPLOYMENT, DEPLOYMENT_SUCCESS, DEPLOYMENT_FAILURE);

    /** CodeBuild's own event (source aws.codebuild, default bus). */
    public static final String BUILD_STATE_CHANGE = "CodeBuild Build State Change";
    public static final String CODEBUILD_SOURCE = "aws.codebuild";

    /** Run outcomes the engine announces (source orchestrator). */
    public static final String WORKFLOW_COMPLETED = "Workflow Completed";
    public static final String WORKFLOW_FAILED = "Workflow Failed";
    public static final String ORCHESTRATOR_SOURCE = "orchestrator";

    /** Every detail-type the router routes by name; any other detail-type defers to detail.type. */
    public static final java.util.Set<String> KNOWN = known();

    private static java.util.Set<String> known() {
        java.util.Set<String> s = new java.util.HashSet<>(TENANT_TYPES);
        s.add(BUILD_STATE_CHANGE);
        s.add(WORKFLOW_COMPLETED);
        s.add(WORKFLOW_FAILED);
        return java.util.Set.copyOf(s);
    }

    /** Source of the tenant events this function itself puts on the bus. */
    public static final String OWN_SOURCE = "orchestrator.tenant";
}
