package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Operations contract of template.yaml: every dead-letter queue (found from what points at it:
 * redrive policies, rule dead-letter configs, stream/queue failure destinations) has a depth alarm and
 * is listed for `orchestrator dlq`; every function has an errors alarm and a log group with the
 * retention parameter; alarms notify AlarmTopicArn only when it is set.
 */
class OperationsTemplateTest {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Map<String, Object> TEMPLATE = CfnYaml.load(ROOT.resolve("template.yaml"));

    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> resources() {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        ((Map<String, Object>) TEMPLATE.get("Resources")).forEach((id, r) -> {
            if (r instanceof Map<?, ?> m) {
                out.put(id, (Map<String, Object>) m);
            }
        });
        return out;
    }

    static String type(String id) {
        Map<String, Object> r = resources().get(id);
        return r == null ? null : (String) r.get("Type");
    }

    /** Logical ids of the queues something dead-letters into, derived from the template. */
    static Set<String> deadLetterQueues() {
        Set<String> out = new TreeSet<>();
        walk(TEMPLATE.get("Resources"), null, out);
        out.removeIf(id -> !"AWS::SQS::Queue".equals(type(id)));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void walk(Object node, String parentKey, Set<String> out) {
        if (node instanceof Map<?, ?> m) {
            for (Map.Entry<String, Object> e : ((Map<String, Object>) m).entrySet()) {
                String k = e.getKey();
                boolean target = k.equals("deadLetterTargetArn")
                        || (k.equals("Arn") && "DeadLetterConfig".equals(parentKey))
                        || (k.equals("Destination") && "OnFailure".equals(parentKey))
                        || (k.equals("TargetArn") && "DeadLetterQueue".equals(parentKey));
                if (target) {
                    String id = referenced(e.getValue());
                    if (id != null) {
                        out.add(id);
                    }
                }
                walk(e.getValue(), k, out);
            }
        } else if (node instanceof List<?> l) {
            for (Object o : l) {
                walk(o, parentKey, out);
            }
        }
    }

    /** The logical id in {"Fn::GetAtt": "X.Arn"}, {"Fn::GetAtt": [X, Arn]} or {"Ref": X}. */
    static String referenced(Object value) {
        if (value instanceof Map<?, ?> m) {
            Object getAtt = m.get("Fn::GetAtt");
            if (getAtt instanceof String s) {
                return s.split("\\.")[0];
            }
            if (getAtt instanceof List<?> l && !l.isEmpty()) {
                return String.valueOf(l.get(0));
            }
            if (m.get("Ref") instanceof String s) {
                return s;
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> alarms(String metric) {
        List<Map<String, Object>> out = new ArrayList<>();
        resources().forEach((id, r) -> {
            if ("AWS::CloudWatch::Alarm".equals(r.get("Type"))) {
                Map<String, Object> p = (Map<String, Object>) r.get("Properties");
                if (metric.equals(p.get("MetricName"))) {
                    out.add(p);
                }
            }
        });
        return out;
    }

    @SuppressWarnings("unchecked")
    static String dimension(Map<String, Object> alarm, String name) {
        for (Object d : (List<Object>) alarm.get("Dimensions")) {
            Map<String, Object> dim = (Map<String, Object>) d;
            if (name.equals(dim.get("Name"))) {
                Object v = dim.get("Value");
                return referenced(v);
            }
        }
        return null;
    }

    @Test
    void everyDeadLetterQueueHasADepthAlarm() {
        Set<String> dlqs = deadLetterQueues();
        assertThat(dlqs).as("DLQs derived from the template").contains("EngineDeadLetterQueue", "StartDeadLetterQueue",
                "TenantDeadLetterQueue", "RegistrarDeadLetterQueue", "HistoryDeadLetterQueue");
        Set<String> alarmed = new TreeSet<>();
        for (Map<String, Object> a : alarms("ApproximateNumberOfMessagesVisible")) {
            assertThat(a.get("Namespace")).isEqualTo("AWS/SQS");
            alarmed.add(dimension(a, "QueueName"));
        }
        for (String q : dlqs) {
            assertThat(alarmed).as("a depth alarm on %s (add %sDepthAlarm, see the 'logs and alarms' section)", q, q).contains(q);
        }
    }

    @Test
    void everyDeadLetterQueueIsListedForTheCli() {
        @SuppressWarnings("unchecked")
        Map<String, Object> out = (Map<String, Object>) ((Map<String, Object>) TEMPLATE.get("Outputs")).get("DeadLetterQueues");
        Set<String> listed = new TreeSet<>();
        collectRefs(out.get("Value"), listed);
        assertThat(listed).as("Outputs.DeadLetterQueues lists every DLQ").containsAll(deadLetterQueues());
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyDeadLetterQueueSaysWhereRedriveSendsItsMessages() {
        for (String q : deadLetterQueues()) {
            Map<String, Object> props = (Map<String, Object>) resources().get(q).get("Properties");
            List<Map<String, Object>> tags = (List<Map<String, Object>>) props.getOrDefault("Tags", List.of());
            String target = tags.stream().filter(t -> "orchestrator:redrive".equals(t.get("Key")))
                    .map(t -> String.valueOf(t.get("Value"))).findFirst().orElse(null);
            assertThat(target).as("%s has an orchestrator:redrive tag (queue:|function:|stream:<LogicalId>)", q)
                    .matches("(queue|function|stream):[A-Za-z0-9]+");
            String id = target.substring(target.indexOf(':') + 1);
            assertThat(type(id)).as("%s redrives to an existing resource", q)
                    .isIn(target.startsWith("queue:") ? "AWS::SQS::Queue" : "AWS::Serverless::Function");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyFunctionHasAnErrorsAlarmAndALogGroupWithTheRetentionParameter() {
        Set<String> functions = new TreeSet<>();
        resources().forEach((id, r) -> {
            if ("AWS::Serverless::Function".equals(r.get("Type"))) {
                functions.add(id);
            }
        });
        assertThat(functions).hasSizeGreaterThanOrEqualTo(5);
        Set<String> alarmed = new TreeSet<>();
        for (Map<String, Object> a : alarms("Errors")) {
            assertThat(a.get("Namespace")).isEqualTo("AWS/Lambda");
            alarmed.add(dimension(a, "FunctionName"));
        }
        Map<String, Object> logGroups = new LinkedHashMap<>();
        resources().forEach((id, r) -> {
            if ("AWS::Logs::LogGroup".equals(r.get("Type"))) {
                Map<String, Object> p = (Map<String, Object>) r.get("Properties");
                assertThat(p.get("RetentionInDays")).as(id).isEqualTo(Map.of("Ref", "LogRetentionDays"));
                logGroups.put(String.valueOf(((Map<String, Object>) p.get("LogGroupName")).get("Fn::Sub")), id);
            }
        });
        for (String f : functions) {
            assertThat(alarmed).as("an Errors alarm on %s (%sErrorsAlarm)", f, f).contains(f);
            assertThat(logGroups).as("a log group /aws/lambda/${%s} (%sLogGroup)", f, f).containsKey("/aws/lambda/${" + f + "}");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void alarmsNotifyTheTopicOnlyWhenOneIsGiven() {
        Map<String, Object> conditions = (Map<String, Object>) TEMPLATE.get("Conditions");
        assertThat(conditions).containsKey("HasAlarmTopic");
        List<Map<String, Object>> all = new ArrayList<>();
        resources().forEach((id, r) -> {
            if ("AWS::CloudWatch::Alarm".equals(r.get("Type"))) {
                all.add((Map<String, Object>) r.get("Properties"));
            }
        });
        assertThat(all).hasSizeGreaterThanOrEqualTo(15);
        for (Map<String, Object> a : all) {
            Map<String, Object> actions = (Map<String, Object>) a.get("AlarmActions");
            List<Object> ifArgs = (List<Object>) actions.get("Fn::If");
            assertThat(ifArgs.get(0)).isEqualTo("HasAlarmTopic");
            assertThat(ifArgs.get(1)).isEqualTo(List.of(Map.of("Ref", "AlarmTopicArn")));
            assertThat(ifArgs.get(2)).isEqualTo(Map.of("Ref", "AWS::NoValue"));
        }
    }

    @SuppressWarnings("unchecked")
    private static void collectRefs(Object node, Set<String> out) {
        if (node instanceof Map<?, ?> m) {
            if (m.get("Ref") instanceof String s) {
                out.add(s);
            }
            ((Map<String, Object>) m).values().forEach(v -> collectRefs(v, out));
        } else if (node instanceof List<?> l) {
            l.forEach(v -> collectRefs(v, out));
        }
    }

    /** The orchestrator's own metrics (EMF, dev.orchestrator.obs.Metrics) alarm on the stack total (service only). */
    @Test
    @SuppressWarnings("unchecked")
    void runHealthAlarmsReadTheStackTotalWithThresholdsFromParameters() {
        Map<String, Object> parameters = (Map<String, Object>) TEMPLATE.get("Parameters");
        Map<String, String> expected = Map.of(
                "FailedRunsAlarm", dev.orchestrator.obs.Metrics.RUNS_FAILED,
                "PluginTimeoutsAlarm", dev.orchestrator.obs.Metrics.PLUGIN_TIMEOUTS);
        expected.forEach((id, metric) -> {
            Map<String, Object> p = (Map<String, Object>) resources().get(id).get("Properties");
            assertThat(p.get("Namespace")).as(id).isEqualTo(Map.of("Ref", "MetricsNamespace"));
            assertThat(p.get("MetricName")).as(id).isEqualTo(metric);
            assertThat(p.get("Dimensions")).as(id + ": the service-only dimension set Metrics writes")
                    .isEqualTo(List.of(Map.of("Name", "service", "Value", Map.of("Ref", "AWS::StackName"))));
        });
        Map<String, String> thresholds = Map.of(
                "FailedRunsAlarm", "FailedRunsAlarmThreshold",
                "PluginTimeoutsAlarm", "PluginTimeoutsAlarmThreshold",
                "EngineIteratorAgeAlarm", "EngineIteratorAgeAlarmMillis",
                "ThrottlesAlarm", "ThrottlesAlarmThreshold");
        thresholds.forEach((id, parameter) -> {
            Map<String, Object> p = (Map<String, Object>) resources().get(id).get("Properties");
            assertThat(p.get("Threshold")).as(id + " threshold is a parameter").isEqualTo(Map.of("Ref", parameter));
            assertThat((Map<String, Object>) parameters.get(parameter)).as(parameter + " has a default").containsKey("Default");
        });
        Map<String, Object> age = (Map<String, Object>) resources().get("EngineIteratorAgeAlarm").get("Properties");
        assertThat(age.get("MetricName")).isEqualTo("IteratorAge");
        assertThat(dimension(age, "FunctionName")).isEqualTo("EngineFunction");
        Set<String> throttled = new TreeSet<>();
        collectRefs(resources().get("ThrottlesAlarm"), throttled);
        assertThat(throttled).as("ThrottlesAlarm sums every function's Throttles").containsAll(functions());
        assertThat(String.valueOf(resources().get("ThrottlesAlarm"))).contains("Throttles");
    }

    static Set<String> functions() {
        Set<String> functions = new TreeSet<>();
        resources().forEach((id, r) -> {
            if ("AWS::Serverless::Function".equals(r.get("Type"))) {
                functions.add(id);
            }
        });
        return functions;
    }

    /** The dashboard's widgets, parsed from its DashboardBody (Fn::Sub variables kept as their names). */
    @SuppressWarnings("unchecked")
    static JsonNode dashboard() {
        Map<String, Object> p = (Map<String, Object>) resources().get("OperationsDashboard").get("Properties");
        assertThat(type("OperationsDashboard")).isEqualTo("AWS::CloudWatch::Dashboard");
        String body = String.valueOf(((Map<String, Object>) p.get("DashboardBody")).get("Fn::Sub"));
        return Json.parse(body);
    }

    /** Every metric the dashboard draws, as "namespace metric dimensionValue...". */
    static List<String> dashboardMetrics() {
        List<String> out = new ArrayList<>();
        for (JsonNode w : dashboard().path("widgets")) {
            for (JsonNode m : w.path("properties").path("metrics")) {
                StringBuilder b = new StringBuilder();
                for (JsonNode part : m) {
                    if (part.isTextual()) {
                        b.append(part.asText()).append(' ');
                    }
                }
                out.add(b.toString().trim());
            }
        }
        return out;
    }

    @Test
    void theDashboardShowsRunsStagesPluginsQueuesIteratorAgeAndThrottles() {
        List<String> metrics = dashboardMetrics();
        String ns = "${MetricsNamespace} ";
        for (String m : List.of(dev.orchestrator.obs.Metrics.RUNS_STARTED, dev.orchestrator.obs.Metrics.RUNS_COMPLETED,
                dev.orchestrator.obs.Metrics.RUNS_FAILED, dev.orchestrator.obs.Metrics.STAGE_DURATION,
                dev.orchestrator.obs.Metrics.PLUGIN_ERRORS, dev.orchestrator.obs.Metrics.PLUGIN_TIMEOUTS)) {
            assertThat(metrics).as("dashboard draws %s for the stack", m).contains(ns + m + " service ${AWS::StackName}");
        }
        for (String q : deadLetterQueues()) {
            assertThat(metrics).as("dashboard draws the depth of %s", q)
                    .contains("AWS/SQS ApproximateNumberOfMessagesVisible QueueName ${" + q + ".QueueName}");
        }
        assertThat(metrics).contains("AWS/Lambda IteratorAge FunctionName ${EngineFunction}");
        for (String f : functions()) {
            assertThat(metrics).as("dashboard draws the throttles of %s", f).contains("AWS/Lambda Throttles FunctionName ${" + f + "}");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyFunctionIsTracedByDefaultWithAKnob() {
        Map<String, Object> globals = (Map<String, Object>) ((Map<String, Object>) TEMPLATE.get("Globals")).get("Function");
        assertThat(globals.get("Tracing")).isEqualTo(Map.of("Ref", "Tracing"));
        Map<String, Object> knob = (Map<String, Object>) ((Map<String, Object>) TEMPLATE.get("Parameters")).get("Tracing");
        assertThat(knob.get("Default")).isEqualTo("Active");
        assertThat((List<Object>) knob.get("AllowedValues")).containsExactly("Active", "PassThrough");
        for (String f : functions()) {
            Map<String, Object> props = (Map<String, Object>) resources().get(f).get("Properties");
            assertThat(props).as("%s does not override the Tracing global", f).doesNotContainKey("Tracing");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theReconcileScheduleDeadLettersIntoTheRegistrarQueue() {
        Map<String, Object> registrar = (Map<String, Object>) resources().get("RegistrarFunction").get("Properties");
        Map<String, Object> reconcile = (Map<String, Object>) ((Map<String, Object>) registrar.get("Events")).get("Reconcile");
        Map<String, Object> props = (Map<String, Object>) reconcile.get("Properties");
        assertThat(referenced(((Map<String, Object>) props.get("DeadLetterConfig")).get("Arn"))).isEqualTo("RegistrarDeadLetterQueue");
        assertThat(String.valueOf(resources().get("RuleDeadLetterQueuePolicy"))).contains("RegistrarFunctionReconcile");
    }

    @Test
    @SuppressWarnings("unchecked")
    void examplePluginsKeepTheirLogsForARetentionAndTheirTablesRecoverableAndAreTraced() throws java.io.IOException {
        List<Path> templates;
        try (var dirs = java.nio.file.Files.list(ROOT.resolve("plugins-examples"))) {
            templates = dirs.map(d -> d.resolve("template.yaml")).filter(java.nio.file.Files::exists).sorted().toList();
        }
        assertThat(templates).isNotEmpty();
        for (Path t : templates) {
            Map<String, Object> template = CfnYaml.load(t);
            Map<String, Object> globals = (Map<String, Object>) ((Map<String, Object>) template.get("Globals")).get("Function");
            assertThat(globals.get("Tracing")).as(t + ": every function traced by X-Ray (Globals)").isEqualTo("Active");
            Map<String, Object> resources = (Map<String, Object>) template.get("Resources");
            Set<String> groups = new TreeSet<>();
            resources.forEach((id, r) -> {
                Map<String, Object> res = (Map<String, Object>) r;
                Map<String, Object> p = (Map<String, Object>) res.get("Properties");
                if ("AWS::Logs::LogGroup".equals(res.get("Type"))) {
                    assertThat(p.get("RetentionInDays")).as(t + " " + id).isEqualTo(Map.of("Ref", "LogRetentionDays"));
                    groups.add(String.valueOf(((Map<String, Object>) p.get("LogGroupName")).get("Fn::Sub")));
                }
                if ("AWS::DynamoDB::Table".equals(res.get("Type"))) {
                    assertThat(p.get("PointInTimeRecoverySpecification")).as(t + " " + id + " has point-in-time recovery")
                            .isEqualTo(Map.of("PointInTimeRecoveryEnabled", true));
                }
            });
            resources.forEach((id, r) -> {
                if ("AWS::Serverless::Function".equals(((Map<String, Object>) r).get("Type"))) {
                    Map<String, Object> props = (Map<String, Object>) ((Map<String, Object>) r).get("Properties");
                    assertThat(props).as("%s %s does not override the Tracing global", t, id).doesNotContainKey("Tracing");
                    assertThat(groups).as(t + ": a log group /aws/lambda/${" + id + "} with the retention parameter")
                            .contains("/aws/lambda/${" + id + "}");
                }
            });
        }
    }
}
