package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What the templates must say to behave on AWS as the emulator tests assume: asynchronous failures
 * end in a queue, plugin stacks never pin the orchestrator's layer export, state survives stack
 * deletion and replacement, and the registrar may invoke only plugins.
 */
@SuppressWarnings("unchecked")
class DeploymentConventionsTest {

    static final Path ROOT = TemplateContractTest.ROOT;
    static final Map<String, Object> TEMPLATE = TemplateContractTest.TEMPLATE;
    /** Event source types through which Lambda is invoked asynchronously. */
    static final Set<String> ASYNC_SOURCES = Set.of("SNS", "EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2", "S3");

    static List<Path> pluginTemplates() throws IOException {
        try (Stream<Path> s = Files.list(ROOT.resolve("plugins-examples"))) {
            return s.map(p -> p.resolve("template.yaml")).filter(Files::isRegularFile).sorted().toList();
        }
    }

    static Map<String, Map<String, Object>> resources(Map<String, Object> template, String type) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        ((Map<String, Object>) template.get("Resources")).forEach((id, r) -> {
            if (r instanceof Map<?, ?> m && type.equals(m.get("Type"))) {
                out.put(id, (Map<String, Object>) m);
            }
        });
        return out;
    }

    static Map<String, Object> props(Map<String, Object> resource) {
        return (Map<String, Object>) resource.getOrDefault("Properties", Map.of());
    }

    static Map<String, Object> globals(Map<String, Object> template) {
        return (Map<String, Object>) ((Map<String, Object>) template.getOrDefault("Globals", Map.of())).getOrDefault("Function", Map.of());
    }

    /** Where a function's failed asynchronous invocations go: the OnFailure destination's logical id, else its DLQ's. */
    static String onFailure(Map<String, Object> template, Map<String, Object> function) {
        Map<String, Object> p = props(function);
        Map<String, Object> config = (Map<String, Object>) p.getOrDefault("EventInvokeConfig", globals(template).get("EventInvokeConfig"));
        if (config != null) {
            Object dest = ((Map<String, Object>) ((Map<String, Object>) config.getOrDefault("DestinationConfig", Map.of()))
                    .getOrDefault("OnFailure", Map.of())).get("Destination");
            if (dest instanceof Map<?, ?> m && m.get("Fn::GetAtt") instanceof String s) {
                return s.split("\\.")[0];
            }
        }
        Object dlq = p.getOrDefault("DeadLetterQueue", globals(template).get("DeadLetterQueue"));
        if (dlq instanceof Map<?, ?> m && m.get("TargetArn") instanceof Map<?, ?> t && t.get("Fn::GetAtt") instanceof String s) {
            return s.split("\\.")[0];
        }
        return null;
    }

    static boolean invokedAsynchronously(Map<String, Object> function) {
        Map<String, Object> events = (Map<String, Object>) props(function).getOrDefault("Events", Map.of());
        return events.values().stream().anyMatch(e -> ASYNC_SOURCES.contains(((Map<String, Object>) e).get("Type")));
    }

    @Test
    void everyAsynchronouslyInvokedFunctionHasAnOnFailureQueue() throws IOException {
        Map<String, String> expected = Map.of("StartWorkflowFunction", "StartDeadLetterQueue",
                "TenantRouterFunction", "TenantDeadLetterQueue", "RegistrarFunction", "RegistrarDeadLetterQueue");
        resources(TEMPLATE, "AWS::Serverless::Function").forEach((id, f) -> {
            if (invokedAsynchronously(f)) {
                assertThat(onFailure(TEMPLATE, f)).as("on-failure queue of %s", id).isEqualTo(expected.get(id));
            }
        });
        int checked = 0;
        for (Path t : pluginTemplates()) {
            Map<String, Object> template = CfnYaml.load(t);
            for (var e : resources(template, "AWS::Serverless::Function").entrySet()) {
                if (invokedAsynchronously(e.getValue())) {
                    String queue = onFailure(template, e.getValue());
                    assertThat(queue).as("on-failure queue of %s in %s", e.getKey(), t).isNotNull();
                    assertThat(resources(template, "AWS::SQS::Queue")).as("%s in %s", queue, t).containsKey(queue);
                    checked++;
                }
            }
        }
        assertThat(checked).as("SNS-invoked example plugin functions").isGreaterThanOrEqualTo(5);
    }

    @Test
    void pluginTemplatesTakeTheLayerFromParameterStoreAndAreTaggedForTheRegistrar() throws IOException {
        for (Path t : pluginTemplates()) {
            assertThat(Files.readString(t)).as(t.toString()).doesNotContain("-layer");
            Map<String, Object> template = CfnYaml.load(t);
            // The layer is the Java library: Python and Node plugins speak the protocol without it.
            if (Files.readString(t).contains("java21")) {
                Map<String, Object> params = (Map<String, Object>) template.get("Parameters");
                Map<String, Object> layer = (Map<String, Object>) params.get("OrchestratorLayer");
                assertThat(layer).as("OrchestratorLayer parameter of %s", t).isNotNull();
                assertThat(layer.get("Type")).isEqualTo("AWS::SSM::Parameter::Value<String>");
                assertThat((String) layer.get("Default")).matches("/dev/orchestrator/stacks/[A-Za-z0-9]+/layer");
                assertThat(globals(template).get("Layers")).isEqualTo(List.of(Map.of("Ref", "OrchestratorLayer")));
            }
            assertThat(globals(template).get("Tags")).as("tags of %s", t)
                    .isEqualTo(Map.of("OrchestratorStack", Map.of("Ref", "OrchestratorStackName")));
        }
        // ... and the registrar may invoke exactly the functions carrying that tag with its stack's name.
        List<Object> statements = new ArrayList<>();
        for (Object policy : (List<Object>) props(resources(TEMPLATE, "AWS::Serverless::Function").get("RegistrarFunction")).get("Policies")) {
            if (policy instanceof Map<?, ?> m && m.get("Statement") instanceof List<?> l) {
                statements.addAll(l);
            }
        }
        Map<String, Object> invoke = (Map<String, Object>) statements.stream()
                .filter(s -> "lambda:InvokeFunction".equals(((Map<String, Object>) s).get("Action"))).findFirst().orElseThrow();
        assertThat(invoke.get("Condition")).isEqualTo(Map.of("StringEquals",
                Map.of("aws:ResourceTag/OrchestratorStack", Map.of("Ref", "AWS::StackName"))));
        // To check who a plugin is, it reads the configuration (the role) of those same functions only, the tags of
        // roles, and event source mappings (which Lambda grants on '*' alone); nothing more of Lambda or IAM.
        Map<String, Object> configuration = (Map<String, Object>) statements.stream()
                .filter(s -> "lambda:GetFunctionConfiguration".equals(((Map<String, Object>) s).get("Action"))).findFirst().orElseThrow();
        assertThat(configuration.get("Condition")).isEqualTo(invoke.get("Condition"));
        assertThat(configuration.get("Resource")).isEqualTo(invoke.get("Resource"));
        Map<String, Object> tags = (Map<String, Object>) statements.stream()
                .filter(s -> "iam:ListRoleTags".equals(((Map<String, Object>) s).get("Action"))).findFirst().orElseThrow();
        assertThat(tags.get("Resource")).isEqualTo(Map.of("Fn::Sub", "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"));
        List<Object> lambdaOrIam = statements.stream().map(s -> ((Map<String, Object>) s).get("Action"))
                .filter(a -> String.valueOf(a).matches(".*\\b(lambda|iam):.*")).toList();
        assertThat(lambdaOrIam).containsExactlyInAnyOrder("lambda:InvokeFunction", "lambda:GetFunctionConfiguration",
                "lambda:ListEventSourceMappings", "iam:ListRoleTags");
    }

    @Test
    void tablesAndQueuesOutliveTheStackAndItsReplacements() throws IOException {
        // ProcessedEventsTable holds only once-only keys that expire within 7 days.
        Set<String> disposable = Set.of("ProcessedEventsTable");
        List<Map.Entry<String, Map<String, Object>>> stateful = new ArrayList<>();
        for (String type : List.of("AWS::DynamoDB::Table", "AWS::SQS::Queue")) {
            stateful.addAll(resources(TEMPLATE, type).entrySet());
            for (Path t : pluginTemplates()) {
                // In plugin stacks: the queues holding failures (a work queue's messages are in flight).
                stateful.addAll(resources(CfnYaml.load(t), type).entrySet().stream()
                        .filter(e -> e.getKey().contains("DeadLetter") || e.getKey().contains("Failed")).toList());
            }
        }
        stateful.removeIf(e -> disposable.contains(e.getKey()));
        assertThat(stateful).hasSizeGreaterThan(8);
        for (var e : stateful) {
            assertThat(e.getValue()).as(e.getKey()).containsEntry("DeletionPolicy", "Retain").containsEntry("UpdateReplacePolicy", "Retain");
        }
    }

    @Test
    void theEngineReportsItemFailuresAndKeepsStreamFailuresApartFromTimers() {
        Map<String, Object> engine = resources(TEMPLATE, "AWS::Serverless::Function").get("EngineFunction");
        Map<String, Object> events = (Map<String, Object>) props(engine).get("Events");
        Map<String, Object> timers = props((Map<String, Object>) events.get("Timers"));
        assertThat(timers.get("FunctionResponseTypes")).isEqualTo(List.of("ReportBatchItemFailures"));
        Map<String, Object> stream = props((Map<String, Object>) events.get("StatusStream"));
        Object streamFailures = ((Map<String, Object>) ((Map<String, Object>) stream.get("DestinationConfig")).get("OnFailure")).get("Destination");
        Map<String, Object> timerQueue = props(resources(TEMPLATE, "AWS::SQS::Queue").get("EngineTimerQueue"));
        Object timerDlq = ((Map<String, Object>) timerQueue.get("RedrivePolicy")).get("deadLetterTargetArn");
        assertThat(streamFailures).isEqualTo(Map.of("Fn::GetAtt", "EngineStreamFailureQueue.Arn")).isNotEqualTo(timerDlq);
        // The engine reads old and new images (run history diffs them): the stream must carry both.
        Map<String, Object> table = props(resources(TEMPLATE, "AWS::DynamoDB::Table").get("StatusTable"));
        assertThat(((Map<String, Object>) table.get("StreamSpecification")).get("StreamViewType")).isEqualTo("NEW_AND_OLD_IMAGES");
    }

    /**
     * Every SAM command that reads the template (build, deploy, deploy --guided, sync, validate,
     * local invoke) must expand Fn::ForEach: language_extensions sits in each environment's global
     * section, which SAM CLI applies to every command that has the option. .ci/run runs the commands.
     */
    @Test
    void everySamCommandExpandsLanguageExtensions() throws IOException {
        String samconfig = Files.readString(ROOT.resolve("samconfig.toml"));
        for (String env : List.of("default", "dev", "prod")) {
            String section = samconfig.substring(samconfig.indexOf("[" + env + ".global.parameters]"));
            section = section.substring(0, section.indexOf("\n[", 1) < 0 ? section.length() : section.indexOf("\n[", 1));
            assertThat(section).as("%s global parameters", env).contains("language_extensions = true");
        }
        assertThat(samconfig.lines().filter(l -> l.startsWith("language_extensions = false")))
                .as("no command of any environment turns it off").isEmpty();
    }
}
