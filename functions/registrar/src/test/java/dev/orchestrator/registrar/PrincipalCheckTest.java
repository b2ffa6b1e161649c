package dev.orchestrator.registrar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.registrar.PrincipalCheck.Principal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The registrar's decision on a plugin's principals, pure: every case of tag against name. */
class PrincipalCheckTest {

    static final String ROLE = "arn:aws:iam::111122223333:role/dns-BridgeFunctionRole-1";
    static final String WORKER_ROLE = "arn:aws:iam::111122223333:role/dns-WorkerFunctionRole-2";
    static final String QUEUE = "consumer of queue arn:aws:sqs:eu-west-1:111122223333:dns";

    static Principal bridge(Map<String, String> tags) {
        return Principal.read("dns-bridge", ROLE, tags, PrincipalCheck.SUBSCRIBED);
    }

    static Principal worker(Map<String, String> tags) {
        return Principal.read("arn:aws:lambda:eu-west-1:111122223333:function:dns-worker", WORKER_ROLE, tags, QUEUE);
    }

    @Test
    void aRoleTaggedWithThePluginsNameIsTrustedAndRecorded() {
        var v = PrincipalCheck.decide("provision-dns", List.of(bridge(Map.of("orchestrator-plugin", "provision-dns",
                "lambda:createdBy", "SAM"))));
        assertThat(v.trusted()).isTrue();
        assertThat(v.identity().principals()).containsExactly(ROLE);
        assertThat(v.identity().refused()).isNull();
        assertThat(v.identity().trusted()).isTrue();
        assertThat(v.mismatches()).isEmpty();
    }

    @Test
    void aBridgeAndItsQueueConsumerBothTaggedAreTrustedWithBothRolesRecordedInOrder() {
        var v = PrincipalCheck.decide("provision-dns", List.of(bridge(Map.of("orchestrator-plugin", "provision-dns")),
                worker(Map.of("orchestrator-plugin", "provision-dns"))));
        assertThat(v.trusted()).isTrue();
        assertThat(v.identity().principals()).containsExactly(ROLE, WORKER_ROLE);
    }

    @Test
    void twoFunctionsSharingOneRoleRecordItOnce() {
        var shared = Principal.read("dns-worker", ROLE, Map.of("orchestrator-plugin", "provision-dns"), QUEUE);
        var v = PrincipalCheck.decide("provision-dns", List.of(bridge(Map.of("orchestrator-plugin", "provision-dns")), shared));
        assertThat(v.identity().principals()).containsExactly(ROLE);
    }

    @Test
    void aRoleWithoutTheTagIsRefusedNamingTheRoleTheFunctionAndTheFix() {
        var v = PrincipalCheck.decide("provision-dns", List.of(bridge(Map.of("team", "dns"))));
        assertThat(v.trusted()).isFalse();
        assertThat(v.identity().trusted()).isFalse();
        assertThat(v.identity().principals()).as("the principal is recorded even when refused").containsExactly(ROLE);
        assertThat(v.identity().refused()).isEqualTo("role " + ROLE + " (subscribed function dns-bridge) has no tag orchestrator-plugin:"
                + " tag the role orchestrator-plugin=provision-dns, then reconcile");
        assertThat(v.mismatches()).singleElement().satisfies(m -> assertThat(m.principal().tag()).isNull());
    }

    @Test
    void aRoleTaggedWithAnotherPluginsNameIsRefusedWithTheTagFound() {
        var v = PrincipalCheck.decide("provision-dns", List.of(bridge(Map.of("orchestrator-plugin", "welcome-email"))));
        assertThat(v.trusted()).isFalse();
        assertThat(v.identity().refused()).isEqualTo("role " + ROLE + " (subscribed function dns-bridge) is tagged"
                + " orchestrator-plugin=welcome-email, not provision-dns: tag the role orchestrator-plugin=provision-dns, then reconcile");
        assertThat(v.mismatches()).singleElement().satisfies(m -> assertThat(m.principal().tag()).isEqualTo("welcome-email"));
    }

    @Test
    void anEmptyTagIsRefused() {
        var v = PrincipalCheck.decide("provision-dns", List.of(bridge(Map.of("orchestrator-plugin", ""))));
        assertThat(v.identity().refused()).contains("has an empty tag orchestrator-plugin");
    }

    @Test
    void theTagIsComparedExactlyNotByCaseOrPrefix() {
        for (String near : List.of("Provision-dns", "provision", "provision-dns2", "provision-dns ", " provision-dns")) {
            assertThat(PrincipalCheck.decide("provision-dns", List.of(bridge(Map.of("orchestrator-plugin", near)))).trusted())
                    .as("tag '%s'", near).isFalse();
        }
        assertThat(PrincipalCheck.decide("provision-dns", List.of(bridge(Map.of("Orchestrator-Plugin", "provision-dns")))).trusted())
                .as("the tag key is case-sensitive in IAM's aws:PrincipalTag lookup as written in the policy").isFalse();
    }

    @Test
    void aTaggedBridgeWithAMisTaggedQueueConsumerIsRefusedNamingTheConsumer() {
        var v = PrincipalCheck.decide("provision-dns", List.of(bridge(Map.of("orchestrator-plugin", "provision-dns")),
                worker(Map.of("orchestrator-plugin", "other"))));
        assertThat(v.trusted()).isFalse();
        assertThat(v.identity().principals()).containsExactly(ROLE, WORKER_ROLE);
        assertThat(v.identity().refused()).isEqualTo("role " + WORKER_ROLE + " (function arn:aws:lambda:eu-west-1:111122223333:function:dns-worker, " + QUEUE
                + ") is tagged orchestrator-plugin=other, not provision-dns: tag the role orchestrator-plugin=provision-dns, then reconcile");
        assertThat(v.mismatches()).extracting(m -> m.principal().role()).containsExactly(WORKER_ROLE);
    }

    @Test
    void everyMismatchIsInTheReasonNoneDropped() {
        var v = PrincipalCheck.decide("provision-dns", List.of(bridge(Map.of()), worker(Map.of("orchestrator-plugin", "x"))));
        assertThat(v.mismatches()).hasSize(2);
        assertThat(v.identity().refused()).contains("has no tag").contains("; role " + WORKER_ROLE).contains("orchestrator-plugin=x");
    }

    @Test
    void aFunctionOrRoleThatCannotBeReadIsRefusedWithTheError() {
        var noFunction = Principal.unreadable("dns-worker", null, QUEUE, "cannot read its configuration (AccessDeniedException: no)");
        var v = PrincipalCheck.decide("provision-dns", List.of(bridge(Map.of("orchestrator-plugin", "provision-dns")), noFunction));
        assertThat(v.trusted()).isFalse();
        assertThat(v.identity().principals()).containsExactly(ROLE);
        assertThat(v.identity().refused()).isEqualTo("cannot check function dns-worker, " + QUEUE + ": cannot read its configuration"
                + " (AccessDeniedException: no)");
        var noTags = Principal.unreadable("dns-bridge", ROLE, PrincipalCheck.SUBSCRIBED, "cannot list the role's tags (AccessDenied: no)");
        var w = PrincipalCheck.decide("provision-dns", List.of(noTags));
        assertThat(w.identity().principals()).containsExactly(ROLE);
        assertThat(w.identity().refused()).isEqualTo("cannot check subscribed function dns-bridge (role " + ROLE
                + "): cannot list the role's tags (AccessDenied: no)");
        assertThat(w.mismatches()).singleElement().satisfies(m -> assertThat(m.principal().tag()).isNull());
    }

    @Test
    void noPrincipalAtAllIsRefusedNotTrusted() {
        var v = PrincipalCheck.decide("p", List.of());
        assertThat(v.trusted()).isFalse();
        assertThat(v.identity().principals()).isEmpty();
        assertThat(v.identity().refused()).contains("no principal");
    }

    @Test
    void theBridgesQueueVariableIsTheOneTheLayersQueuePluginReads() {
        assertThat(PrincipalCheck.BRIDGE_QUEUE_VARIABLE).isEqualTo(dev.orchestrator.core.EnvNames.PLUGIN_QUEUE_URL);
    }

    @Test
    void roleNameIsTheLastSegmentOfTheArnPathIncluded() {
        assertThat(PrincipalCheck.roleName("arn:aws:iam::111122223333:role/r1")).isEqualTo("r1");
        assertThat(PrincipalCheck.roleName("arn:aws:iam::111122223333:role/service-role/team/r2")).isEqualTo("r2");
        assertThat(PrincipalCheck.roleName("arn:aws-cn:iam::111122223333:role/r3")).isEqualTo("r3");
        assertThatThrownBy(() -> PrincipalCheck.roleName("arn:aws:iam::111122223333:user/u"))
                .hasMessage("not an IAM role ARN: arn:aws:iam::111122223333:user/u");
    }

    @Test
    void aQueuesArnComesFromItsUrlAndTheBridgesPartitionAndRegion() {
        String fn = "arn:aws:lambda:eu-west-1:111122223333:function:dns-bridge";
        assertThat(PrincipalCheck.queueArn("https://sqs.eu-west-1.amazonaws.com/111122223333/dns-DnsQueue-X", fn))
                .isEqualTo("arn:aws:sqs:eu-west-1:111122223333:dns-DnsQueue-X");
        assertThat(PrincipalCheck.queueArn("http://127.0.0.1:5000/123456789012/q.fifo", fn))
                .as("an emulator's URL").isEqualTo("arn:aws:sqs:eu-west-1:123456789012:q.fifo");
        assertThat(PrincipalCheck.queueArn("https://sqs.cn-north-1.amazonaws.com.cn/111122223333/q/",
                "arn:aws-cn:lambda:cn-north-1:111122223333:function:f:live")).isEqualTo("arn:aws-cn:sqs:cn-north-1:111122223333:q");
        assertThatThrownBy(() -> PrincipalCheck.queueArn("https://sqs.eu-west-1.amazonaws.com/q", fn))
                .hasMessageContaining("cannot name the queue of URL https://sqs.eu-west-1.amazonaws.com/q");
    }
}
