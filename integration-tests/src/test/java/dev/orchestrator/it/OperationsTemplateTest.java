package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

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
        List<Map<String, Object>> all = new ArrayList<>(alarms("Errors"));
        all.addAll(alarms("ApproximateNumberOfMessagesVisible"));
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
}
