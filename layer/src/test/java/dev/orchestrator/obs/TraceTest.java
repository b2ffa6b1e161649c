package dev.orchestrator.obs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The subsegment documents, the trace header and daemon address, and what reaches a daemon on loopback. */
class TraceTest {

    static final String ROOT = "1-5759e988-bd862e3fe1be46a994272793";
    static final String PARENT = "53995c3f42cd8ad8";
    static final String HEADER = "Root=" + ROOT + ";Parent=" + PARENT + ";Sampled=1";

    @AfterEach
    void clean() {
        Trace.end();
        Log.clear();
    }

    @Test
    void subsegmentIsAValidDocumentWithXRaysIdsAndTimes() {
        String id = TraceDocument.newId();
        ObjectNode doc = TraceDocument.subsegment(ROOT, PARENT, id, "engine step", 1_478_293_361_271_123L, 1_478_293_361_449_456L);
        TraceDocument.annotate(doc, Map.of("uid", "order-1001", "workflow", "fulfilment", "tenant-id", "t-1"));
        String datagram = TraceDocument.datagram(doc);

        String[] lines = datagram.split("\n", 2);
        assertThat(Json.parse(lines[0]).path("format").asText()).isEqualTo("json");
        assertThat(Json.parse(lines[0]).path("version").asInt()).isEqualTo(1);
        JsonNode parsed = Json.parse(lines[1]);
        assertThat(parsed.path("type").asText()).isEqualTo("subsegment");
        assertThat(parsed.path("trace_id").asText()).matches("1-[0-9a-f]{8}-[0-9a-f]{24}");
        assertThat(parsed.path("id").asText()).matches("[0-9a-f]{16}");
        assertThat(parsed.path("parent_id").asText()).isEqualTo(PARENT);
        assertThat(parsed.path("start_time").asDouble()).isEqualTo(1_478_293_361.271123);
        assertThat(parsed.path("end_time").asDouble()).isEqualTo(1_478_293_361.449456);
        assertThat(parsed.path("annotations").path("uid").asText()).isEqualTo("order-1001");
        assertThat(parsed.path("annotations").path("workflow").asText()).isEqualTo("fulfilment");
        assertThat(parsed.path("annotations").has("tenant_id")).as("keys cleaned to letters, digits, underscore").isTrue();
    }

    @Test
    void idsAreSixteenHexDigitsEvenWhenSmall() {
        for (int i = 0; i < 2_000; i++) {
            assertThat(TraceDocument.newId()).matches("[0-9a-f]{16}");
        }
    }

    @Test
    void namesKeepXRaysCharactersOnly() {
        assertThat(TraceDocument.name("plugin reserve-capacity")).isEqualTo("plugin reserve-capacity");
        assertThat(TraceDocument.name("plugin a<b>!")).isEqualTo("plugin a_b__");
        assertThat(TraceDocument.name("x".repeat(300))).hasSize(200);
    }

    @Test
    void failuresAreErrorThrottleOrFault() {
        ObjectNode error = Json.object();
        TraceDocument.failure(error, 400, new IllegalStateException("conditional check failed"));
        assertThat(error.path("error").asBoolean()).isTrue();
        assertThat(error.has("fault")).isFalse();
        assertThat(error.path("cause").path("exceptions").get(0).path("message").asText()).isEqualTo("conditional check failed");
        ObjectNode throttle = Json.object();
        TraceDocument.failure(throttle, 429, null);
        assertThat(throttle.path("throttle").asBoolean()).isTrue();
        ObjectNode fault = Json.object();
        TraceDocument.failure(fault, 0, new RuntimeException("connection refused"));
        assertThat(fault.path("fault").asBoolean()).isTrue();
    }

    @Test
    void onlySampledWellFormedHeadersAreTraced() {
        assertThat(Trace.Header.parse(HEADER)).isEqualTo(new Trace.Header(ROOT, PARENT));
        assertThat(Trace.Header.parse("Root=" + ROOT + ";Parent=" + PARENT + ";Sampled=0")).isNull();
        assertThat(Trace.Header.parse("Root=" + ROOT + ";Sampled=1")).as("no parent to attach to").isNull();
        assertThat(Trace.Header.parse("Root=nonsense;Parent=" + PARENT + ";Sampled=1")).isNull();
        assertThat(Trace.Header.parse(null)).isNull();
    }

    @Test
    void daemonAddressInBothForms() {
        assertThat(Trace.daemon("169.254.79.129:2000").getPort()).isEqualTo(2000);
        assertThat(Trace.daemon("tcp:127.0.0.1:2000 udp:127.0.0.1:2001").getPort()).isEqualTo(2001);
        assertThat(Trace.daemon("not an address")).isNull();
        assertThat(Trace.daemon("")).isNull();
        assertThat(Trace.Config.of(Map.of())).isEqualTo(Trace.Config.OFF);
    }

    @Test
    void untracedInvocationsDoNothing() {
        Trace.begin(Trace.Config.of(Map.of(Trace.HEADER_VARIABLE, HEADER))); // no daemon
        assertThat(Trace.active()).isFalse();
        assertThat(Trace.open("engine step")).isSameAs(Trace.Scope.NONE);
        Trace.begin(Trace.Config.of(Map.of(Trace.DAEMON_ADDRESS, "127.0.0.1:2000"))); // no header
        assertThat(Trace.active()).isFalse();
    }

    @Test
    void scopesReachTheDaemonWithTheRunsKeysAndNest() throws Exception {
        try (DatagramSocket daemon = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            daemon.setSoTimeout(10_000);
            Map<String, String> env = new LinkedHashMap<>();
            env.put(Trace.DAEMON_ADDRESS, "127.0.0.1:" + daemon.getLocalPort());
            env.put(Trace.HEADER_VARIABLE, HEADER);
            Trace.begin(Trace.Config.of(env));
            assertThat(Trace.active()).isTrue();
            Log.put(Log.UID, "order-1001");
            try (Trace.Scope outer = Trace.open("plugin reserve-capacity")) {
                Log.put(Log.WORKFLOW, "fulfilment"); // learned inside the scope: still annotated
                try (Trace.Scope inner = Trace.open("inner", Map.of())) {
                    inner.fail(new IllegalStateException("boom"));
                }
                outer.annotate("outcome", "COMPLETED");
            }
            Trace.end();

            List<JsonNode> docs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                docs.add(receive(daemon));
            }
            JsonNode inner = docs.get(0);
            JsonNode outer = docs.get(1);
            assertThat(outer.path("name").asText()).isEqualTo("plugin reserve-capacity");
            assertThat(outer.path("parent_id").asText()).as("the function's segment").isEqualTo(PARENT);
            assertThat(outer.path("trace_id").asText()).isEqualTo(ROOT);
            assertThat(outer.path("annotations").path("uid").asText()).isEqualTo("order-1001");
            assertThat(outer.path("annotations").path("workflow").asText()).isEqualTo("fulfilment");
            assertThat(outer.path("annotations").path("outcome").asText()).isEqualTo("COMPLETED");
            assertThat(inner.path("parent_id").asText()).isEqualTo(outer.path("id").asText());
            assertThat(inner.path("fault").asBoolean()).isTrue();
            assertThat(outer.path("end_time").asDouble()).isGreaterThanOrEqualTo(inner.path("end_time").asDouble());
        }
    }

    @Test
    void aDaemonThatIsNotThereNeverFailsTheWork() {
        Trace.begin(Trace.Config.of(Map.of(Trace.DAEMON_ADDRESS, "127.0.0.1:1", Trace.HEADER_VARIABLE, HEADER)));
        for (int i = 0; i < 3; i++) {
            try (Trace.Scope s = Trace.open("engine step")) {
                s.annotate("n", Integer.toString(i));
            }
        }
        assertThat(Trace.active()).isTrue();
    }

    static JsonNode receive(DatagramSocket daemon) throws Exception {
        byte[] buffer = new byte[65_536];
        DatagramPacket p = new DatagramPacket(buffer, buffer.length);
        try {
            daemon.receive(p);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no document reached the daemon in 10 s", e);
        }
        String text = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
        String[] lines = text.split("\n", 2);
        assertThat(lines[0]).isEqualTo("{\"format\":\"json\",\"version\":1}");
        return Json.parse(lines[1]);
    }
}
