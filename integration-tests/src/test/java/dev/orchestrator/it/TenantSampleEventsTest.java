package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.Json;
import dev.orchestrator.tenant.TenantEvent;
import dev.orchestrator.tenant.TenantRoutes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The sample events in events/ are valid and reach the handler their detail-type names. */
class TenantSampleEventsTest {

    static final Set<String> SOURCES = Set.of("saas.control-plane");

    static TenantEvent sample(String file) throws Exception {
        return TenantEvent.parse(Json.parse(Files.readString(Path.of("../events", file))));
    }

    @Test
    void everySampleEventRoutesToItsHandler() throws Exception {
        assertThat(TenantRoutes.route(sample("tenant-provisioning.json"), SOURCES)).isEqualTo("TENANT_PROVISIONING");
        assertThat(TenantRoutes.route(sample("tenant-deprovisioning.json"), SOURCES)).isEqualTo("TENANT_DEPROVISIONING");
        for (String f : List.of("tenant-provisioning-success.json", "tenant-provisioning-failure.json", "tenant-deployment.json",
                "tenant-deployment-success.json", "tenant-deployment-failure.json", "tenant-deprovisioning-success.json",
                "tenant-deprovisioning-failure.json")) {
            TenantEvent e = sample(f);
            assertThat(TenantRoutes.route(e, SOURCES)).as(f).isEqualTo(e.detailType());
        }
        assertThat(TenantRoutes.route(sample("codebuild-build-state-change.json"), SOURCES)).isEqualTo(TenantRoutes.BUILD_OUTCOME);
        assertThat(TenantRoutes.route(sample("workflow-completed.json"), SOURCES)).isEqualTo(TenantRoutes.WORKFLOW_OUTCOME);
    }

}
