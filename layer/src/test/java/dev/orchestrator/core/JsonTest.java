package dev.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Json reads and writes trees without an ObjectMapper: it must agree with one, node type for node type. */
class JsonTest {

    static final ObjectMapper JACKSON = new ObjectMapper();

    static final List<String> SAMPLES = List.of(
            "{}", "[]", "null", "true", "\"text\"", "0", "-7", "2147483648", "12345678901234567890123", "1.5", "-0.0", "1e300",
            "1.5e400", "{\"a\":1,\"a\":2}", "{\"s\":\"quote \\\" backslash \\\\ unicode \\u00e9 \\ud83d\\ude00 tab \\t\"}",
            "{\"Records\":[{\"eventName\":\"INSERT\",\"dynamodb\":{\"Keys\":{\"uid\":{\"S\":\"u\"}},\"SizeBytes\":100,"
                    + "\"NewImage\":{\"n\":{\"N\":\"1.50\"},\"l\":{\"L\":[{\"BOOL\":true},{\"NULL\":true}]}}}}]}",
            "[[[[[1]]],[],{}],{\"x\":[{\"y\":null}]}]", "  {\"ws\" : [ 1 , 2 ] }  ", "{\"first\":1} trailing");

    @Test
    void parsesTheSameTreesAsAnObjectMapper() throws Exception {
        for (String s : SAMPLES) {
            JsonNode ours = Json.parse(s);
            JsonNode theirs = JACKSON.readTree(s);
            assertThat(ours).as(s).isEqualTo(theirs);
            assertThat(ours.getNodeType()).as(s).isEqualTo(theirs.getNodeType());
            assertThat(Json.parse(new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8)))).as(s).isEqualTo(theirs);
        }
    }

    @Test
    void writesWhatAnObjectMapperWrites() throws Exception {
        for (String s : SAMPLES) {
            JsonNode tree = JACKSON.readTree(s);
            assertThat(Json.write(tree)).as(s).isEqualTo(JACKSON.writeValueAsString(tree));
        }
        ObjectNode o = Json.object();
        o.put("f", 1.25f).put("d", new BigDecimal("1.50")).put("b", new byte[] {1, 2, 3}).put("sh", (short) 3).put("l", 1L << 40);
        o.putNull("n");
        o.putArray("a").add(Json.object()).addNull();
        o.putPOJO("p", List.of("x", 1));
        assertThat(Json.write(o)).isEqualTo(JACKSON.writeValueAsString(o));
    }

    @Test
    void emptyInputIsAMissingNodeAndBadInputNamesTheProblem() {
        assertThat(Json.parse("").isMissingNode()).isTrue();
        assertThat(Json.parse(new ByteArrayInputStream(new byte[0])).isMissingNode()).isTrue();
        assertThatThrownBy(() -> Json.parse("{\"a\":")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("input is not valid JSON: ");
        assertThatThrownBy(() -> Json.parse("{\"a\" 1}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("was expecting a colon");
        assertThatThrownBy(() -> Json.parse("[1,2")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void deepNestingDoesNotOverflowTheStack() {
        String deep = "[".repeat(900) + "]".repeat(900);
        assertThat(Json.write(Json.parse(deep))).isEqualTo(deep);
    }

    @Test
    void longAttributeNamesParse() {
        String name = "n".repeat(100_000);
        assertThat(Json.parse("{\"" + name + "\":1}").has(name)).isTrue();
    }
}
