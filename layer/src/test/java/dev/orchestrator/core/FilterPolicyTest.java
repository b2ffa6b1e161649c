package dev.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.core.FilterPolicy.Attribute;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The predictor against SNS's documented filter-policy examples (Amazon SNS Developer Guide: subscription
 * filter policies, string and numeric value matching, key matching, AND/OR logic, example policies):
 * each documented policy with the messages the guide says it accepts and rejects, in both scopes, plus
 * the edges the guide states in prose (a missing key, an empty attribute set, Binary attributes,
 * when {@code $or} is an operator) and every malformed-policy error.
 */
class FilterPolicyTest {

    // ---- helpers ----

    static Map<String, Attribute> attrs(Object... nameThenAttribute) {
        Map<String, Attribute> out = new LinkedHashMap<>();
        for (int i = 0; i < nameThenAttribute.length; i += 2) {
            out.put((String) nameThenAttribute[i], (Attribute) nameThenAttribute[i + 1]);
        }
        return out;
    }

    static Attribute s(String v) {
        return Attribute.string(v);
    }

    static Attribute n(String v) {
        return Attribute.number(v);
    }

    static Attribute arr(String json) {
        return Attribute.stringArray(json);
    }

    /** Policy in attribute scope against attributes. */
    static boolean onAttributes(String policy, Map<String, Attribute> attributes) {
        return FilterPolicy.parse(policy, "MessageAttributes").matches(attributes, "{\"ignored\": true}");
    }

    /** Policy in body scope against a body. */
    static boolean onBody(String policy, String body) {
        return FilterPolicy.parse(policy, "MessageBody").matches(Map.of("ignored", s("x")), body);
    }

    // ---- the documented example message ----

    @Nested
    class ExamplePolicies {
        final Map<String, Attribute> message = attrs(
                "customer_interests", arr("[\"soccer\", \"rugby\", \"hockey\"]"),
                "store", s("example_corp"),
                "event", s("order_placed"),
                "price_usd", n("210.75"));

        @Test
        void thePolicyTheGuideSaysAcceptsTheTransactionAcceptsIt() {
            String accepts = """
                    {"store": ["example_corp"], "event": [{"anything-but": "order_cancelled"}],
                     "customer_interests": ["rugby", "football", "baseball"], "price_usd": [{"numeric": [">=", 100]}]}""";
            assertThat(onAttributes(accepts, message)).isTrue();
            // and each key is needed: change one attribute and it rejects
            Map<String, Attribute> cancelled = new LinkedHashMap<>(message);
            cancelled.put("event", s("order_cancelled"));
            assertThat(onAttributes(accepts, cancelled)).isFalse();
            Map<String, Attribute> cheap = new LinkedHashMap<>(message);
            cheap.put("price_usd", n("99.99"));
            assertThat(onAttributes(accepts, cheap)).isFalse();
            Map<String, Attribute> noInterest = new LinkedHashMap<>(message);
            noInterest.put("customer_interests", arr("[\"soccer\", \"hockey\"]"));
            assertThat(onAttributes(accepts, noInterest)).isFalse();
        }

        @Test
        void thePolicyTheGuideSaysRejectsTheTransactionRejectsIt() {
            String rejects = """
                    {"store": ["example_corp"], "event": ["order_cancelled"], "encrypted": [false],
                     "customer_interests": ["basketball", "baseball"]}""";
            assertThat(onAttributes(rejects, message)).isFalse();
            // "encrypted" alone rejects: the message lacks it, whatever its value would be
            assertThat(onAttributes("{\"encrypted\": [false]}", message)).isFalse();
            assertThat(onAttributes("{\"store\": [\"example_corp\"], \"encrypted\": [false, true]}", message)).isFalse();
        }

        @Test
        void theSameTransactionAsABodyIsFilteredAlikeInBodyScope() {
            String body = """
                    {"customer_interests": ["soccer", "rugby", "hockey"], "store": "example_corp",
                     "event": "order_placed", "price_usd": 210.75}""";
            assertThat(onBody("""
                    {"store": ["example_corp"], "event": [{"anything-but": "order_cancelled"}],
                     "customer_interests": ["rugby", "football", "baseball"], "price_usd": [{"numeric": [">=", 100]}]}""",
                    body)).isTrue();
            assertThat(onBody("""
                    {"store": ["example_corp"], "event": ["order_cancelled"], "encrypted": [false],
                     "customer_interests": ["basketball", "baseball"]}""", body)).isFalse();
        }
    }

    // ---- string matching ----

    @Nested
    class Strings {
        @Test
        void exactMatchingIsCaseSensitiveAndTreatsEachArrayElementOnItsOwn() {
            String policy = "{\"customer_interests\": [\"rugby\", \"tennis\"]}";
            assertThat(onAttributes(policy, attrs("customer_interests", s("rugby")))).isTrue();
            assertThat(onAttributes(policy, attrs("customer_interests", s("tennis")))).isTrue();
            assertThat(onAttributes(policy, attrs("customer_interests", arr("[\"rugby\", \"tennis\"]")))).isTrue();
            assertThat(onAttributes(policy, attrs("customer_interests", s("baseball")))).isFalse();
            assertThat(onAttributes(policy, attrs("customer_interests", arr("[\"baseball\"]")))).isFalse();
            assertThat(onAttributes(policy, attrs("customer_interests", s("Rugby")))).isFalse();
            assertThat(onBody(policy, "{\"customer_interests\": \"rugby\"}")).isTrue();
            assertThat(onBody(policy, "{\"customer_interests\": \"tennis\"}")).isTrue();
            assertThat(onBody(policy, "{\"customer_interests\": \"baseball\"}")).isFalse();
            assertThat(onBody(policy, "{\"customer_interests\": [\"baseball\", \"tennis\"]}")).isTrue();
        }

        @Test
        void prefix() {
            String policy = "{\"customer_interests\": [{\"prefix\": \"bas\"}]}";
            assertThat(onAttributes(policy, attrs("customer_interests", s("baseball")))).isTrue();
            assertThat(onAttributes(policy, attrs("customer_interests", s("basketball")))).isTrue();
            assertThat(onAttributes(policy, attrs("customer_interests", s("rugby")))).isFalse();
            assertThat(onAttributes(policy, attrs("customer_interests", s("Baseball")))).isFalse();
            assertThat(onBody(policy, "{\"customer_interests\": \"baseball\"}")).isTrue();
            assertThat(onBody(policy, "{\"customer_interests\": \"rugby\"}")).isFalse();
        }

        @Test
        void suffix() {
            String policy = "{\"customer_interests\": [{\"suffix\": \"ball\"}]}";
            assertThat(onAttributes(policy, attrs("customer_interests", s("baseball")))).isTrue();
            assertThat(onAttributes(policy, attrs("customer_interests", s("basketball")))).isTrue();
            assertThat(onAttributes(policy, attrs("customer_interests", s("rugby")))).isFalse();
            assertThat(onBody(policy, "{\"customer_interests\": \"football\"}")).isTrue();
            assertThat(onBody(policy, "{\"customer_interests\": \"balloon\"}")).isFalse();
        }

        @Test
        void equalsIgnoreCase() {
            String policy = "{\"customer_interests\": [{\"equals-ignore-case\": \"tennis\"}]}";
            assertThat(onAttributes(policy, attrs("customer_interests", s("TENNIS")))).isTrue();
            assertThat(onAttributes(policy, attrs("customer_interests", s("Tennis")))).isTrue();
            assertThat(onAttributes(policy, attrs("customer_interests", s("tennis")))).isTrue();
            assertThat(onAttributes(policy, attrs("customer_interests", s("baseball")))).isFalse();
            assertThat(onBody("{\"customer_interests\": [{\"equals-ignore-case\": \"TeNNis\"}]}",
                    "{\"customer_interests\": \"tENNIS\"}")).isTrue();
            assertThat(onBody(policy, "{\"customer_interests\": \"tennis-club\"}")).isFalse();
        }

        @Test
        void anythingBut() {
            String policy = "{\"customer_interests\": [{\"anything-but\": [\"rugby\", \"tennis\"]}]}";
            assertThat(onAttributes(policy, attrs("customer_interests", s("baseball")))).isTrue();
            assertThat(onAttributes(policy, attrs("customer_interests", s("football")))).isTrue();
            // "because it contains a value that isn't rugby or tennis"
            assertThat(onAttributes(policy, attrs("customer_interests", arr("[\"rugby\", \"baseball\"]")))).isTrue();
            assertThat(onAttributes(policy, attrs("customer_interests", s("rugby")))).isFalse();
            assertThat(onAttributes(policy, attrs("customer_interests", arr("[\"rugby\", \"tennis\"]")))).isFalse();
            assertThat(onBody(policy, "{\"customer_interests\": \"baseball\"}")).isTrue();
            assertThat(onBody(policy, "{\"customer_interests\": [\"rugby\", \"baseball\"]}")).isTrue();
            assertThat(onBody(policy, "{\"customer_interests\": \"rugby\"}")).isFalse();
        }

        @Test
        void anythingButASingleValue() {
            String policy = "{\"event\": [{\"anything-but\": \"order_cancelled\"}]}";
            assertThat(onAttributes(policy, attrs("event", s("order_placed")))).isTrue();
            assertThat(onAttributes(policy, attrs("event", s("order_cancelled")))).isFalse();
        }

        @Test
        void anythingButAPrefix() {
            String policy = "{\"event\": [{\"anything-but\": {\"prefix\": \"order-\"}}]}";
            assertThat(onAttributes(policy, attrs("event", s("data-entry")))).isTrue();
            assertThat(onAttributes(policy, attrs("event", s("order_number")))).isTrue();
            assertThat(onAttributes(policy, attrs("event", s("order-cancelled")))).isFalse();
            assertThat(onBody(policy, "{\"event\": \"order_number\"}")).isTrue();
            assertThat(onBody(policy, "{\"event\": \"order-cancelled\"}")).isFalse();
        }

        @Test
        void anythingButCombinedWithExistsFalseAlsoAcceptsTheMissingKey() {
            String policy = "{\"event\": [{\"anything-but\": [\"order-cancelled\"]}, {\"exists\": false}]}";
            assertThat(onAttributes(policy, attrs("other", s("x")))).isTrue();
            assertThat(onAttributes(policy, attrs("event", s("order-placed")))).isTrue();
            assertThat(onAttributes(policy, attrs("event", s("order-cancelled")))).isFalse();
        }

        @Test
        void cidr() {
            String policy = "{\"source_ip\": [{\"cidr\": \"10.0.0.0/24\"}]}";
            assertThat(onAttributes(policy, attrs("source_ip", s("10.0.0.0")))).isTrue();
            assertThat(onAttributes(policy, attrs("source_ip", s("10.0.0.255")))).isTrue();
            assertThat(onAttributes(policy, attrs("source_ip", s("10.1.1.0")))).isFalse();
            assertThat(onAttributes(policy, attrs("source_ip", s("not-an-ip")))).isFalse();
        }

        @Test
        void stringConditionsDoNotMatchNumbers() {
            assertThat(onAttributes("{\"a\": [\"100\"]}", attrs("a", n("100")))).isFalse();
            assertThat(onAttributes("{\"a\": [{\"prefix\": \"1\"}]}", attrs("a", n("100")))).isFalse();
            assertThat(onBody("{\"a\": [\"100\"]}", "{\"a\": 100}")).isFalse();
            assertThat(onBody("{\"a\": [{\"suffix\": \"0\"}]}", "{\"a\": 100}")).isFalse();
        }
    }

    // ---- numeric matching ----

    @Nested
    class Numbers {
        @Test
        void exactNumericMatchingComparesValuesNotSpelling() {
            String policy = "{\"price_usd\": [{\"numeric\": [\"=\", 301.5]}]}";
            assertThat(onAttributes(policy, attrs("price_usd", n("301.5")))).isTrue();
            assertThat(onAttributes(policy, attrs("price_usd", n("3.015e2")))).isTrue();
            assertThat(onAttributes(policy, attrs("price_usd", n("301.50")))).isTrue();
            assertThat(onAttributes(policy, attrs("price_usd", n("301.6")))).isFalse();
            assertThat(onBody(policy, "{\"price_usd\": 301.5}")).isTrue();
            assertThat(onBody(policy, "{\"price_usd\": 3.015e2}")).isTrue();
            assertThat(onBody(policy, "{\"price_usd\": \"301.5\"}")).isFalse(); // a string is not a number
            assertThat(onAttributes(policy, attrs("price_usd", s("301.5")))).isFalse();
        }

        @Test
        void aBareNumberIsAnExactNumericMatch() {
            assertThat(onAttributes("{\"n\": [100]}", attrs("n", n("1e2")))).isTrue();
            assertThat(onBody("{\"n\": [100]}", "{\"n\": 100.0}")).isTrue();
            assertThat(onBody("{\"n\": [100]}", "{\"n\": 101}")).isFalse();
        }

        @Test
        void anythingButNumbers() {
            String policy = "{\"price\": [{\"anything-but\": [100, 500]}]}";
            assertThat(onAttributes(policy, attrs("price", n("101")))).isTrue();
            assertThat(onAttributes(policy, attrs("price", n("100.1")))).isTrue();
            assertThat(onAttributes(policy, attrs("price", n("100")))).isFalse();
            assertThat(onAttributes(policy, attrs("price", n("500.0")))).isFalse();
            assertThat(onBody(policy, "{\"price\": 101}")).isTrue();
            assertThat(onBody(policy, "{\"price\": 100.1}")).isTrue();
            assertThat(onBody(policy, "{\"price\": [100, 50]}")).isTrue(); // 50 is neither
            assertThat(onBody(policy, "{\"price\": 100}")).isFalse();
            assertThat(onBody(policy, "{\"price\": [100, 500]}")).isFalse();
        }

        @Test
        void lessThanZero() {
            String policy = "{\"price_usd\": [{\"numeric\": [\"<\", 0]}]}";
            assertThat(onAttributes(policy, attrs("price_usd", n("-0.01")))).isTrue();
            assertThat(onAttributes(policy, attrs("price_usd", n("0")))).isFalse();
            assertThat(onBody(policy, "{\"price_usd\": -5}")).isTrue();
            assertThat(onBody(policy, "{\"price_usd\": 5}")).isFalse();
        }

        @Test
        void positiveUpToAndIncluding150() {
            String policy = "{\"price_usd\": [{\"numeric\": [\">\", 0, \"<=\", 150]}]}";
            assertThat(onAttributes(policy, attrs("price_usd", n("0")))).isFalse();
            assertThat(onAttributes(policy, attrs("price_usd", n("0.00001")))).isTrue();
            assertThat(onAttributes(policy, attrs("price_usd", n("150")))).isTrue();
            assertThat(onAttributes(policy, attrs("price_usd", n("150.00001")))).isFalse();
            assertThat(onBody(policy, "{\"price_usd\": 75}")).isTrue();
            assertThat(onBody(policy, "{\"price_usd\": 151}")).isFalse();
        }

        @Test
        void everyOperatorAtItsBoundary() {
            Map<String, boolean[]> expected = new LinkedHashMap<>();
            // operator -> matches for 9, 10, 11 against operand 10
            expected.put("=", new boolean[] {false, true, false});
            expected.put("<", new boolean[] {true, false, false});
            expected.put("<=", new boolean[] {true, true, false});
            expected.put(">", new boolean[] {false, false, true});
            expected.put(">=", new boolean[] {false, true, true});
            expected.forEach((op, want) -> {
                String policy = "{\"v\": [{\"numeric\": [\"" + op + "\", 10]}]}";
                for (int i = 0; i < 3; i++) {
                    String value = Integer.toString(9 + i);
                    assertThat(onAttributes(policy, attrs("v", n(value)))).as(op + " 10 vs " + value).isEqualTo(want[i]);
                    assertThat(onBody(policy, "{\"v\": " + value + "}")).as("body " + op + " 10 vs " + value).isEqualTo(want[i]);
                }
            });
            String closed = "{\"v\": [{\"numeric\": [\">=\", 10, \"<\", 20]}]}";
            assertThat(onAttributes(closed, attrs("v", n("10")))).isTrue();
            assertThat(onAttributes(closed, attrs("v", n("20")))).isFalse();
        }

        @Test
        void numbersInAStringArrayAndInBodyArraysAreMatchedOneByOne() {
            String policy = "{\"v\": [{\"numeric\": [\">\", 100]}]}";
            assertThat(onAttributes(policy, attrs("v", arr("[5, 500]")))).isTrue();
            assertThat(onAttributes(policy, attrs("v", arr("[5, 50]")))).isFalse();
            assertThat(onBody(policy, "{\"v\": [5, 500]}")).isTrue();
            assertThat(onBody(policy, "{\"v\": [5, \"500\"]}")).isFalse();
        }
    }

    // ---- key matching and missing keys ----

    @Nested
    class Keys {
        final Map<String, Attribute> withStore = attrs(
                "store", s("fans"), "customer_interests", arr("[\"baseball\", \"basketball\"]"));
        final Map<String, Attribute> withoutStore = attrs("customer_interests", arr("[\"baseball\", \"basketball\"]"));
        final String bodyWithStore = "{\"store\": \"fans\", \"customer_interests\": [\"baseball\", \"basketball\"]}";
        final String bodyWithoutStore = "{\"customer_interests\": [\"baseball\", \"basketball\"]}";

        @Test
        void existsTrue() {
            String policy = "{\"store\": [{\"exists\": true}]}";
            assertThat(onAttributes(policy, withStore)).isTrue();
            assertThat(onAttributes(policy, withoutStore)).isFalse();
            assertThat(onBody(policy, bodyWithStore)).isTrue();
            assertThat(onBody(policy, bodyWithoutStore)).isFalse();
        }

        @Test
        void existsFalse() {
            String policy = "{\"store\": [{\"exists\": false}]}";
            assertThat(onAttributes(policy, withStore)).isFalse();
            assertThat(onAttributes(policy, withoutStore)).isTrue();
            assertThat(onBody(policy, bodyWithStore)).isFalse();
            assertThat(onBody(policy, bodyWithoutStore)).isTrue();
        }

        @Test
        void existsFalseDoesNotMatchAnEmptyAttributeSet() {
            assertThat(onAttributes("{\"store\": [{\"exists\": false}]}", Map.of())).isFalse();
            assertThat(onAttributes("{\"store\": [{\"exists\": false}]}", null)).isFalse();
            assertThat(onBody("{\"store\": [{\"exists\": false}]}", "{}")).isFalse();
        }

        @Test
        void aMissingKeyMatchesOnlyExistsFalse() {
            Map<String, Attribute> other = attrs("other", s("x"));
            for (String condition : new String[] {
                "\"x\"", "5", "null", "true", "{\"prefix\": \"\"}", "{\"suffix\": \"\"}", "{\"equals-ignore-case\": \"x\"}",
                "{\"anything-but\": [\"x\"]}", "{\"anything-but\": {\"prefix\": \"zzz\"}}", "{\"numeric\": [\">\", 0]}",
                "{\"exists\": true}", "{\"cidr\": \"0.0.0.0/0\"}"}) {
                String policy = "{\"k\": [" + condition + "]}";
                assertThat(onAttributes(policy, other)).as(policy).isFalse();
                assertThat(onBody(policy, "{\"other\": \"x\"}")).as("body " + policy).isFalse();
            }
            assertThat(onAttributes("{\"k\": [{\"exists\": false}]}", other)).isTrue();
            // one listed value may be exists:false, whatever comes before it
            assertThat(onAttributes("{\"k\": [\"x\", {\"exists\": false}]}", other)).isTrue();
        }

        @Test
        void binaryAttributesAreIgnoredAsIfAbsent() {
            Map<String, Attribute> binary = attrs("blob", Attribute.binary(), "other", s("x"));
            assertThat(onAttributes("{\"blob\": [{\"exists\": true}]}", binary)).isFalse();
            assertThat(onAttributes("{\"blob\": [{\"exists\": false}]}", binary)).isTrue();
        }

        @Test
        void nullEmptyAndObjectsCountAsAbsentForExistsInTheBody() {
            String exists = "{\"k\": [{\"exists\": true}]}";
            String absent = "{\"k\": [{\"exists\": false}]}";
            for (String body : new String[] {"{\"k\": null}", "{\"k\": []}", "{\"k\": \"\"}", "{\"k\": {\"inner\": 1}}"}) {
                assertThat(onBody(exists, body)).as(body).isFalse();
                assertThat(onBody(absent, body)).as(body).isTrue();
            }
            assertThat(onBody("{\"k\": [null]}", "{\"k\": null}")).isTrue();
            assertThat(onBody("{\"k\": [null]}", "{\"j\": null}")).isFalse();
            assertThat(onBody("{\"k\": [{\"anything-but\": [\"x\"]}]}", "{\"k\": null}")).isFalse();
        }
    }

    // ---- AND / OR ----

    @Nested
    class Logic {
        @Test
        void keysAreAnded() {
            String policy = "{\"customer_interests\": [\"rugby\"], \"price_usd\": [{\"numeric\": [\">\", 100]}]}";
            assertThat(onAttributes(policy, attrs("customer_interests", s("rugby"), "price_usd", n("101")))).isTrue();
            assertThat(onAttributes(policy, attrs("customer_interests", s("rugby"), "price_usd", n("100")))).isFalse();
            assertThat(onAttributes(policy, attrs("customer_interests", s("tennis"), "price_usd", n("101")))).isFalse();
            assertThat(onAttributes(policy, attrs("customer_interests", s("rugby")))).isFalse();
            assertThat(onBody(policy, "{\"customer_interests\": \"rugby\", \"price_usd\": 101}")).isTrue();
            assertThat(onBody(policy, "{\"customer_interests\": \"rugby\", \"price_usd\": 99}")).isFalse();
        }

        @Test
        void valuesOfOneKeyAreOred() {
            String policy = "{\"customer_interests\": [\"rugby\", \"football\", \"baseball\"]}";
            for (String v : new String[] {"rugby", "football", "baseball"}) {
                assertThat(onAttributes(policy, attrs("customer_interests", s(v)))).isTrue();
            }
            assertThat(onAttributes(policy, attrs("customer_interests", s("tennis")))).isFalse();
            String mixed = "{\"v\": [\"x\", {\"prefix\": \"ab\"}, {\"numeric\": [\">\", 10]}]}";
            assertThat(onBody(mixed, "{\"v\": \"x\"}")).isTrue();
            assertThat(onBody(mixed, "{\"v\": \"abc\"}")).isTrue();
            assertThat(onBody(mixed, "{\"v\": 11}")).isTrue();
            assertThat(onBody(mixed, "{\"v\": 9}")).isFalse();
        }

        @Test
        void orOperatorAcrossKeys() {
            String policy = """
                    {"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]}""";
            assertThat(onAttributes(policy, attrs("source", s("aws.cloudwatch"), "metricName", s("CPUUtilization")))).isTrue();
            assertThat(onAttributes(policy, attrs("source", s("aws.cloudwatch"), "namespace", s("AWS/EC2")))).isTrue();
            assertThat(onAttributes(policy, attrs("source", s("aws.cloudwatch"), "namespace", s("AWS/S3")))).isFalse();
            assertThat(onAttributes(policy, attrs("source", s("aws.ec2"), "namespace", s("AWS/EC2")))).isFalse();
            assertThat(onBody(policy, "{\"source\": \"aws.cloudwatch\", \"namespace\": \"AWS/EC2\"}")).isTrue();
            assertThat(onBody(policy, "{\"source\": \"aws.cloudwatch\", \"metricName\": \"ReadLatency\"}")).isFalse();
        }

        @Test
        void nestedOrOperators() {
            String policy = """
                    {"source": ["aws.cloudwatch"],
                     "$or": [
                       {"metricName": ["CPUUtilization", "ReadLatency"]},
                       {"metricType": ["MetricType"], "$or": [{"metricId": [1234, 4321]}, {"spaceId": [1000, 2000, 3000]}]}
                     ]}""";
            assertThat(onBody(policy, "{\"source\": \"aws.cloudwatch\", \"metricName\": \"ReadLatency\"}")).isTrue();
            assertThat(onBody(policy, "{\"source\": \"aws.cloudwatch\", \"metricType\": \"MetricType\", \"spaceId\": 2000}")).isTrue();
            assertThat(onBody(policy, "{\"source\": \"aws.cloudwatch\", \"metricType\": \"MetricType\", \"metricId\": 4321}")).isTrue();
            assertThat(onBody(policy, "{\"source\": \"aws.cloudwatch\", \"metricType\": \"MetricType\", \"spaceId\": 4000}")).isFalse();
            assertThat(onBody(policy, "{\"source\": \"aws.cloudwatch\", \"spaceId\": 2000}")).isFalse();
            assertThat(onAttributes(policy, attrs("source", s("aws.cloudwatch"), "metricType", s("MetricType"),
                    "metricId", n("1234")))).isTrue();
        }

        @Test
        void orIsAnOrdinaryKeyUnlessItHoldsTwoOrMoreKeywordFreeObjects() {
            // a list of plain values: "$or" is just a key
            assertThat(onAttributes("{\"$or\": [\"a\", \"b\"]}", attrs("$or", s("a")))).isTrue();
            // one object only: treated as a match expression under the key "$or", whose operator is unknown
            assertThatThrownBy(() -> FilterPolicy.parse("{\"$or\": [{\"a\": [\"x\"]}]}", "MessageAttributes"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown operator 'a'");
            // objects that use operator keywords are match expressions: "$or" is a key
            assertThat(onAttributes("{\"$or\": [{\"prefix\": \"a\"}, {\"suffix\": \"z\"}]}", attrs("$or", s("az")))).isTrue();
            assertThat(onAttributes("{\"$or\": [{\"prefix\": \"a\"}, {\"suffix\": \"z\"}]}", attrs("k", s("az")))).isFalse();
        }
    }

    // ---- nested body policies ----

    @Nested
    class Body {
        @Test
        void nestedKeysFollowNestedObjects() {
            String policy = "{\"customer\": {\"address\": {\"country\": [\"DE\", \"FR\"]}}, \"kind\": [\"order\"]}";
            assertThat(onBody(policy, "{\"kind\": \"order\", \"customer\": {\"address\": {\"country\": \"DE\"}}}")).isTrue();
            assertThat(onBody(policy, "{\"kind\": \"order\", \"customer\": {\"address\": {\"country\": \"US\"}}}")).isFalse();
            assertThat(onBody(policy, "{\"kind\": \"order\", \"customer\": {\"country\": \"DE\"}}")).isFalse();
            assertThat(onBody(policy, "{\"kind\": \"order\", \"country\": \"DE\"}")).isFalse();
        }

        @Test
        void arraysOnTheWayAreSearchedElementByElement() {
            String policy = "{\"Records\": {\"eventName\": [{\"prefix\": \"ObjectCreated:\"}]}}";
            assertThat(onBody(policy, "{\"Records\": [{\"eventName\": \"ObjectRemoved:Delete\"}, {\"eventName\": \"ObjectCreated:Put\"}]}"))
                    .isTrue();
            assertThat(onBody(policy, "{\"Records\": [{\"eventName\": \"ObjectRemoved:Delete\"}]}")).isFalse();
            assertThat(onBody(policy, "{\"Records\": {\"eventName\": \"ObjectCreated:Copy\"}}")).isTrue();
            assertThat(onBody("{\"a\": {\"b\": [{\"exists\": false}]}}", "{\"a\": [{\"c\": 1}, {\"c\": 2}]}")).isTrue();
            assertThat(onBody("{\"a\": {\"b\": [{\"exists\": false}]}}", "{\"a\": [{\"c\": 1}, {\"b\": 2}]}")).isFalse();
        }

        @Test
        void aBodyThatIsNotAJsonObjectMatchesNothing() {
            for (String body : new String[] {"plain text", "[1, 2]", "\"s\"", "", null, "{\"unterminated\": "}) {
                assertThat(onBody("{\"k\": [{\"exists\": false}]}", body)).as(String.valueOf(body)).isFalse();
            }
        }

        @Test
        void theBodyScopeIgnoresAttributesAndTheAttributeScopeIgnoresTheBody() {
            FilterPolicy body = FilterPolicy.parse("{\"k\": [\"v\"]}", "MessageBody");
            assertThat(body.matches(attrs("k", s("v")), "{\"j\": \"v\"}")).isFalse();
            FilterPolicy attributes = FilterPolicy.parse("{\"k\": [\"v\"]}", (String) null);
            assertThat(attributes.scope()).isEqualTo(FilterPolicy.Scope.MESSAGE_ATTRIBUTES);
            assertThat(attributes.matches(attrs("j", s("v")), "{\"k\": \"v\"}")).isFalse();
        }
    }

    // ---- policy shape ----

    @Test
    void anEmptyPolicyMatchesEverything() {
        assertThat(onAttributes("{}", attrs("a", s("b")))).isTrue();
        assertThat(onBody("{}", "{\"a\": 1}")).isTrue();
    }

    @Test
    void attributesAsTheSnsClientPublishesThem() {
        var published = Map.of(
                "tier", software.amazon.awssdk.services.sns.model.MessageAttributeValue.builder()
                        .dataType("String").stringValue("premium").build(),
                "seats", software.amazon.awssdk.services.sns.model.MessageAttributeValue.builder()
                        .dataType("Number").stringValue("12").build());
        Map<String, Attribute> attributes = FilterPolicy.attributesOf(published);
        assertThat(FilterPolicy.delivers("{\"tier\": [\"premium\"], \"seats\": [{\"numeric\": [\">=\", 10]}]}", null, attributes, ""))
                .isTrue();
        assertThat(FilterPolicy.delivers("{\"tier\": [\"basic\"]}", "MessageAttributes", attributes, "")).isFalse();
    }

    @Test
    void malformedPoliciesAreRefusedSayingWhatIsWrong() {
        Map<String, String> attributeScope = new LinkedHashMap<>();
        attributeScope.put("not json", "not valid JSON");
        attributeScope.put("[\"a\"]", "must be a JSON object, not array");
        attributeScope.put("", "filter policy is empty");
        attributeScope.put("{\"k\": \"v\"}", "key 'k' must be an array of values");
        attributeScope.put("{\"k\": []}", "key 'k' has an empty array");
        attributeScope.put("{\"k\": {\"j\": [\"v\"]}}", "does not support (use MessageBody)");
        attributeScope.put("{\"k\": [[\"v\"]]}", "a value must be a string, number");
        attributeScope.put("{\"k\": [{\"prefix\": \"a\", \"suffix\": \"b\"}]}", "exactly one operator");
        attributeScope.put("{\"k\": [{\"contains\": \"a\"}]}", "unknown operator 'contains'");
        attributeScope.put("{\"k\": [{\"prefix\": 5}]}", "prefix takes a string");
        attributeScope.put("{\"k\": [{\"suffix\": null}]}", "suffix takes a string");
        attributeScope.put("{\"k\": [{\"equals-ignore-case\": [\"a\"]}]}", "equals-ignore-case takes a string");
        attributeScope.put("{\"k\": [{\"exists\": \"yes\"}]}", "exists must be true or false");
        attributeScope.put("{\"k\": [{\"anything-but\": {\"suffix\": \"x\"}}]}", "anything-but takes a value");
        attributeScope.put("{\"k\": [{\"anything-but\": []}]}", "anything-but has an empty list");
        attributeScope.put("{\"k\": [{\"anything-but\": [true]}]}", "anything-but values must be strings or numbers");
        attributeScope.put("{\"k\": [{\"numeric\": []}]}", "numeric takes");
        attributeScope.put("{\"k\": [{\"numeric\": [\"==\", 1]}]}", "operator must be one of");
        attributeScope.put("{\"k\": [{\"numeric\": [\"=\", \"1\"]}]}", "value after = must be a number");
        attributeScope.put("{\"k\": [{\"numeric\": [\">\", 1, \"<\"]}]}", "has 3 elements");
        attributeScope.put("{\"k\": [{\"numeric\": [\"<\", 1, \">\", 0]}]}", "range must start with > or >=");
        attributeScope.put("{\"k\": [{\"numeric\": [\">\", 1, \">\", 5]}]}", "operator must be one of [<, <=]");
        attributeScope.put("{\"k\": [{\"numeric\": [\">\", 5, \"<\", 5]}]}", "range is empty");
        attributeScope.put("{\"k\": [{\"numeric\": [\">\", 0, \"<\", 5, \"<\", 6]}]}", "has 6 elements");
        attributeScope.put("{\"k\": [{\"cidr\": \"10.0.0.0\"}]}", "needs exactly one '/'");
        attributeScope.put("{\"k\": [{\"cidr\": \"10.0.0.0/33\"}]}", "mask must be 0-32");
        attributeScope.put("{\"k\": [{\"cidr\": \"::1/128\"}]}", "IPv4 cidr only");
        attributeScope.forEach((policy, message) -> assertThatThrownBy(() -> FilterPolicy.parse(policy, "MessageAttributes"))
                .as(policy).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message));
        assertThatThrownBy(() -> FilterPolicy.parse("{\"k\": {}}", "MessageBody"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key 'k' is an empty object");
        assertThatThrownBy(() -> FilterPolicy.parse("{\"a\": {\"b\": [{\"numeric\": [\"<\"]}]}}", "MessageBody"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key 'a.b'");
        assertThatThrownBy(() -> FilterPolicy.parse("{}", "Body"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MessageAttributes or MessageBody, not 'Body'");
    }

    @Test
    void malformedMessageAttributesAreRefusedSayingWhichOne() {
        FilterPolicy policy = FilterPolicy.parse("{\"k\": [{\"exists\": true}]}", "MessageAttributes");
        assertThatThrownBy(() -> policy.matches(attrs("k", n("ten")), ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'k' has Type Number but its value 'ten'");
        assertThatThrownBy(() -> policy.matches(attrs("k", arr("rugby")), ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'k' has Type String.Array");
        assertThatThrownBy(() -> policy.matches(attrs("k", new Attribute("Text", "x")), ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Type 'Text'");
        assertThatThrownBy(() -> policy.matches(attrs("k", new Attribute("String", null)), ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'k' of Type String has no value");
    }
}
