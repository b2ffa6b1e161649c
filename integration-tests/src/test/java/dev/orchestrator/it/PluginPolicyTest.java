package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.core.Keys;
import dev.orchestrator.core.Stage;
import dev.orchestrator.it.IamPolicyEvaluator.Request;
import dev.orchestrator.plugin.PluginInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The plugin policy the stack publishes (template.yaml, PluginExecutionPolicy, export {@code <Stack>-plugin-policy}),
 * evaluated against the requests a plugin could make. The emulator (moto) does not enforce IAM conditions (it
 * supplies no {@code dynamodb:LeadingKeys} and does not resolve {@code aws:PrincipalTag}), so the policy document
 * itself is what is tested here, read from the real template, with the table ARNs put in for its intrinsics.
 */
class PluginPolicyTest {

    static final String REGION_ACCOUNT = "us-east-1:123456789012";
    static final String STATUS_ARN = "arn:aws:dynamodb:" + REGION_ACCOUNT + ":table/orch-StatusTable-1A2B3C";
    static final String PLUGIN_ARN = "arn:aws:dynamodb:" + REGION_ACCOUNT + ":table/orch-PluginTable-4D5E6F";
    static final String PAYLOAD_ARN = "arn:aws:s3:::orch-payloadbucket-7g8h9i";
    static final String OTHER_STACK_STATUS_ARN = "arn:aws:dynamodb:" + REGION_ACCOUNT + ":table/other-StatusTable-9Z";

    static final IamPolicyEvaluator POLICY = new IamPolicyEvaluator(publishedPolicy());

    @SuppressWarnings("unchecked")
    static Map<String, Object> publishedPolicy() {
        Map<String, Object> resources = (Map<String, Object>) TemplateContractTest.TEMPLATE.get("Resources");
        Map<String, Object> policy = (Map<String, Object>) resources.get("PluginExecutionPolicy");
        assertThat(policy).as("template.yaml publishes PluginExecutionPolicy").isNotNull();
        assertThat(policy.get("Type")).isEqualTo("AWS::IAM::ManagedPolicy");
        return (Map<String, Object>) resolve(((Map<String, Object>) policy.get("Properties")).get("PolicyDocument"));
    }

    /** The intrinsics the policy uses, resolved as CloudFormation would for one stack; any other is refused. */
    @SuppressWarnings("unchecked")
    static Object resolve(Object node) {
        if (node instanceof Map<?, ?> m) {
            if (m.size() == 1 && m.containsKey("Fn::GetAtt")) {
                Object ref = m.get("Fn::GetAtt");
                String target = ref instanceof List<?> l ? l.get(0) + "." + l.get(1) : String.valueOf(ref);
                return switch (target) {
                    case "StatusTable.Arn" -> STATUS_ARN;
                    case "PluginTable.Arn" -> PLUGIN_ARN;
                    case "PayloadBucket.Arn" -> PAYLOAD_ARN;
                    default -> throw new IllegalArgumentException("the plugin policy uses Fn::GetAtt " + target + ", unknown to this test");
                };
            }
            if (m.size() == 1 && m.containsKey("Fn::Join")) {
                List<?> join = (List<?>) m.get("Fn::Join");
                return ((List<?>) join.get(1)).stream().map(p -> String.valueOf(resolve(p)))
                        .collect(java.util.stream.Collectors.joining(String.valueOf(join.get(0))));
            }
            Map<String, Object> out = new LinkedHashMap<>();
            ((Map<String, Object>) m).forEach((k, v) -> {
                if (k.startsWith("Fn::") || k.equals("Ref")) {
                    throw new IllegalArgumentException("the plugin policy uses " + k + ", unknown to this test");
                }
                out.put(k, resolve(v));
            });
            return out;
        }
        if (node instanceof List<?> l) {
            return l.stream().map(PluginPolicyTest::resolve).toList();
        }
        return node;
    }

    /** A request as the plugin whose role carries {@code orchestrator-plugin = tag} (null: no such tag). */
    static Request as(String tag, String action, String table, String partitionKey) {
        Map<String, List<String>> context = new LinkedHashMap<>();
        if (tag != null) {
            context.put("aws:PrincipalTag/" + Keys.PLUGIN_TAG, List.of(tag));
        }
        if (partitionKey != null) {
            context.put("dynamodb:LeadingKeys", List.of(partitionKey));
        }
        return new Request(action, table, context);
    }

    static String own(String plugin, String uid) {
        return new Keys.Execution(plugin, uid, "wf", "Provision", Stage.PARALLEL).uidKey();
    }

    @Test
    void aPluginMayUpdateAndReadItsOwnExecutionItems() {
        assertThat(own("welcome-email", "run-1")).isEqualTo("~welcome-email~run-1");
        assertThat(POLICY.allows(as("welcome-email", "dynamodb:UpdateItem", STATUS_ARN, own("welcome-email", "run-1")))).isTrue();
        assertThat(POLICY.allows(as("welcome-email", "dynamodb:GetItem", STATUS_ARN, own("welcome-email", "run-1")))).isTrue();
        // Its own execution of a run whose uid holds '~' is still its own: the key starts ~welcome-email~.
        assertThat(POLICY.allows(as("welcome-email", "dynamodb:UpdateItem", STATUS_ARN, own("welcome-email", "a~b")))).isTrue();
    }

    @Test
    void notTheRunHeaderNorAnotherPluginsExecutionNorARoster() {
        assertThat(POLICY.evaluate(as("welcome-email", "dynamodb:UpdateItem", STATUS_ARN, "run-1")))
                .as("the run header (bare uid)").isEqualTo(IamPolicyEvaluator.Decision.IMPLICIT_DENY);
        assertThat(POLICY.allows(as("welcome-email", "dynamodb:GetItem", STATUS_ARN, "run-1"))).as("reading the header").isFalse();
        assertThat(POLICY.allows(as("welcome-email", "dynamodb:UpdateItem", STATUS_ARN, own("other", "run-1"))))
                .as("another plugin's execution").isFalse();
        assertThat(POLICY.allows(as("welcome-email", "dynamodb:UpdateItem", STATUS_ARN, Keys.rosterPartition("run-1"))))
                .as("a roster item ~~uid").isFalse();
    }

    @Test
    void aNameThatOnlySharesAPrefixIsAnotherPlugin() {
        // ~a~* does not match ~ab~...: the closing '~' ends the name, and names cannot contain '~'.
        assertThat(POLICY.allows(as("a", "dynamodb:UpdateItem", STATUS_ARN, own("ab", "run-1")))).isFalse();
        assertThat(POLICY.allows(as("ab", "dynamodb:UpdateItem", STATUS_ARN, own("a", "b~run-1")))).isFalse();
        assertThat(POLICY.allows(as("a", "dynamodb:UpdateItem", STATUS_ARN, own("a", "run-1")))).isTrue();
    }

    @Test
    void payloadsAPluginPutsOnlyItsOwnOutputsAndReadsNothingWithItsRole() {
        String own = PAYLOAD_ARN + "/" + dev.orchestrator.core.Outputs.outputKey("run-1", "wf", "Provision", Stage.PARALLEL, "welcome-email");
        String other = PAYLOAD_ARN + "/" + dev.orchestrator.core.Outputs.outputKey("run-1", "wf", "Provision", Stage.PARALLEL, "provision-dns");
        String otherRun = PAYLOAD_ARN + "/" + dev.orchestrator.core.Outputs.outputKey("run-2", "wf", "Provision", Stage.PARALLEL, "provision-dns");
        assertThat(POLICY.allows(as("welcome-email", "s3:PutObject", own, null))).as("its own output").isTrue();
        assertThat(POLICY.allows(as("welcome-email", "s3:PutObject", other, null))).as("another plugin's output").isFalse();
        assertThat(POLICY.allows(as(null, "s3:PutObject", own, null))).as("a role without the tag").isFalse();
        // Reads go through the presigned links the engine puts in its stage messages, never the role.
        for (String object : List.of(own, other, otherRun, PAYLOAD_ARN + "/" + dev.orchestrator.core.Outputs.engineKey("run-1", "wf", "inputs/Provision/parallel"))) {
            assertThat(POLICY.allows(as("welcome-email", "s3:GetObject", object, null))).as("reading " + object).isFalse();
        }
        assertThat(POLICY.allows(as("welcome-email", "s3:ListBucket", PAYLOAD_ARN, null))).as("listing the bucket").isFalse();
    }

    @Test
    void notThePluginRegistryNorAnotherStacksTable() {
        assertThat(POLICY.allows(as("welcome-email", "dynamodb:UpdateItem", PLUGIN_ARN, own("welcome-email", "run-1")))).isFalse();
        assertThat(POLICY.allows(as("welcome-email", "dynamodb:GetItem", PLUGIN_ARN, "Provision|parallel"))).isFalse();
        assertThat(POLICY.allows(as("welcome-email", "dynamodb:UpdateItem", OTHER_STACK_STATUS_ARN, own("welcome-email", "run-1")))).isFalse();
        assertThat(POLICY.allows(as("welcome-email", "dynamodb:UpdateItem", STATUS_ARN + "/index/RunsIndex", own("welcome-email", "run-1")))).isFalse();
    }

    @Test
    void noOtherActionEvenOnItsOwnItems() {
        for (String action : List.of("dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:Scan",
                "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem", "dynamodb:TransactWriteItems", "dynamodb:DescribeTable")) {
            assertThat(POLICY.allows(as("welcome-email", action, STATUS_ARN, own("welcome-email", "run-1")))).as(action).isFalse();
        }
    }

    @Test
    void aRoleWithoutTheTagOrWithAnEmptyOneMayWriteNothing() {
        assertThat(POLICY.allows(as(null, "dynamodb:UpdateItem", STATUS_ARN, own("welcome-email", "run-1")))).isFalse();
        assertThat(POLICY.allows(as(null, "dynamodb:UpdateItem", STATUS_ARN, "~~run-1"))).isFalse();
        // An empty tag would make the pattern ~~*, the rosters' own: the policy requires a non-empty tag.
        assertThat(POLICY.allows(as("", "dynamodb:UpdateItem", STATUS_ARN, Keys.rosterPartition("run-1")))).isFalse();
        assertThat(POLICY.allows(as("", "dynamodb:UpdateItem", STATUS_ARN, "~~"))).isFalse();
    }

    @Test
    void thePolicyNamesTheTagAndTheKeyShapeOfTheCode() {
        String document = publishedPolicy().toString();
        assertThat(document).contains(Keys.EXEC_PREFIX + "${aws:PrincipalTag/" + Keys.PLUGIN_TAG + "}" + Keys.EXEC_PREFIX + "*");
        assertThat(document).doesNotContain("dynamodb:Attributes");
    }

    @Test
    void namesWithCharactersSpecialToStringLikeOrToTheKeyAreRefusedNamingTheField() {
        // '*' or '?' in a name would widen ~<name>~* in the role's pattern; '~' would reach another plugin's keys.
        // IAM tag values cannot hold them either; the library refuses them before anything is written.
        for (String name : List.of("a*", "a?", "*", "a~b", "~", "")) {
            assertThatThrownBy(() -> PluginInfo.builder(name).build()).as(name)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pluginName");
        }
        assertThatThrownBy(() -> PluginInfo.fromJson(dev.orchestrator.core.Json.parse("{\"pluginName\":\"x*\"}")))
                .hasMessageContaining("pluginName 'x*' must be 1-128 letters, digits, '.', '_' or '-'");
    }

    @Test
    void theEvaluatorRefusesWhatItDoesNotModel() {
        assertThatThrownBy(() -> new IamPolicyEvaluator(Map.of("Statement", List.of(Map.of("Effect", "Allow", "NotAction", "s3:*",
                "Resource", "*"))))).hasMessageContaining("NotAction");
        var numeric = new IamPolicyEvaluator(Map.of("Statement", List.of(Map.of("Effect", "Allow", "Action", "s3:GetObject",
                "Resource", "*", "Condition", Map.of("NumericLessThan", Map.of("s3:max-keys", "10"))))));
        assertThatThrownBy(() -> numeric.allows(new Request("s3:GetObject", "arn:aws:s3:::b/k", Map.of())))
                .hasMessageContaining("NumericLessThan");
        // An explicit Deny wins; ForAllValues over a missing key passes (which is why only key-carrying actions are granted).
        var deny = new IamPolicyEvaluator(Map.of("Statement", List.of(
                Map.of("Effect", "Allow", "Action", "dynamodb:*", "Resource", "*",
                        "Condition", Map.of("ForAllValues:StringLike", Map.of("dynamodb:LeadingKeys", "~a~*"))),
                Map.of("Effect", "Deny", "Action", "dynamodb:DeleteItem", "Resource", "*"))));
        assertThat(deny.evaluate(new Request("dynamodb:DeleteItem", STATUS_ARN, Map.of("dynamodb:LeadingKeys", List.of("~a~1")))))
                .isEqualTo(IamPolicyEvaluator.Decision.EXPLICIT_DENY);
        assertThat(deny.allows(new Request("dynamodb:DescribeTable", STATUS_ARN, Map.of()))).isTrue();
    }

    /** Every example plugin uses the published policy, tags its functions with the name its code declares, and grants itself nothing else on the status table. */
    @Test
    @SuppressWarnings("unchecked")
    void everyExamplePluginUsesThePublishedPolicyAndTagsItsName() throws IOException {
        List<Path> templates;
        try (Stream<Path> s = Files.list(TemplateContractTest.ROOT.resolve("plugins-examples"))) {
            templates = s.map(p -> p.resolve("template.yaml")).filter(Files::isRegularFile).sorted().toList();
        }
        assertThat(templates).hasSizeGreaterThanOrEqualTo(6);
        List<String> checked = new ArrayList<>();
        for (Path t : templates) {
            String text = Files.readString(t);
            assertThat(text).as(t + " grants nothing on the whole status table").doesNotContain("-status-arn");
            Map<String, Object> resources = (Map<String, Object>) CfnYaml.load(t).get("Resources");
            resources.forEach((id, r) -> {
                Map<String, Object> res = (Map<String, Object>) r;
                if (!"AWS::Serverless::Function".equals(res.get("Type"))) {
                    return;
                }
                Map<String, Object> props = (Map<String, Object>) res.get("Properties");
                assertThat((List<Object>) props.get("Policies")).as(t + " " + id)
                        .contains(Map.of("Fn::ImportValue", Map.of("Fn::Sub", "${OrchestratorStackName}-plugin-policy")));
                Object name = ((Map<String, Object>) props.getOrDefault("Tags", Map.of())).get(Keys.PLUGIN_TAG);
                assertThat(name).as(t + " " + id + " tags " + Keys.PLUGIN_TAG).isInstanceOf(String.class);
                assertThat(PluginInfo.builder((String) name).build().pluginName()).isEqualTo(name);
                assertThat(declaredIn(t.getParent(), (String) name)).as(t + " " + id + ": the code declares plugin " + name).isTrue();
                checked.add(id);
            });
        }
        assertThat(checked).hasSizeGreaterThanOrEqualTo(7);
    }

    /** The plugin's source names it as a string literal (Java, Python or JavaScript). */
    static boolean declaredIn(Path dir, String name) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> f.toString().matches(".*\\.(java|py|mjs|js)$") && !f.toString().contains("node_modules")
                            && !f.toString().contains("/src/test/"))
                    .anyMatch(f -> {
                        try {
                            String src = Files.readString(f);
                            return src.contains("\"" + name + "\"") || src.contains("'" + name + "'");
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
