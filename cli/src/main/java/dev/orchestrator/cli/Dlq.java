package dev.orchestrator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.StackExports;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.services.cloudformation.model.StackResource;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The stack's dead-letter queues (export {@code <Stack>-dead-letter-queues}). Each queue's
 * {@code orchestrator:redrive} tag says where its messages go back to: {@code queue:<LogicalId>}
 * (re-sent to that queue), {@code function:<LogicalId>} (the event is given again to that function,
 * as its EventBridge rule would), {@code stream:<LogicalId>} (stream failure records: they describe a
 * batch, they are not the batch, so they cannot be re-sent; resume the runs instead).
 */
@Command(name = "dlq", description = "Dead-letter queues: list | show NAME | redrive NAME.",
        subcommands = {Dlq.ListQueues.class, Dlq.Show.class, Dlq.Redrive.class})
final class Dlq implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "dlq needs a subcommand: list, show NAME or redrive NAME");
    }

    record Queue(String logicalId, String url, String redrive) {
        String name() {
            return url.substring(url.lastIndexOf('/') + 1);
        }
    }

    static Map<String, String> physicalIds(Target t) {
        Map<String, String> ids = new LinkedHashMap<>();
        Target.aws(() -> {
            for (StackResource r : t.cloudFormation().describeStackResources(b -> b.stackName(t.stack())).stackResources()) {
                if (r.physicalResourceId() != null) {
                    ids.put(r.logicalResourceId(), r.physicalResourceId());
                }
            }
            return null;
        });
        return ids;
    }

    static List<Queue> queues(Target t) {
        Map<String, String> ids = physicalIds(t);
        List<Queue> out = new ArrayList<>();
        for (String url : t.export(StackExports.DEAD_LETTER_QUEUES).split(",")) {
            String u = url.trim();
            String name = u.substring(u.lastIndexOf('/') + 1);
            String logical = ids.entrySet().stream().filter(e -> e.getValue().equals(u) || e.getValue().endsWith("/" + name)
                    || e.getValue().equals(name)).map(Map.Entry::getKey).findFirst().orElse(name);
            Map<String, String> tags = Target.aws(() -> t.sqs().listQueueTags(b -> b.queueUrl(u)).tags());
            out.add(new Queue(logical, u, tags == null ? null : tags.get("orchestrator:redrive")));
        }
        return out;
    }

    static Queue find(Target t, String name) {
        List<Queue> all = queues(t);
        for (Queue q : all) {
            // "engine" means EngineDeadLetterQueue even though EngineStreamFailureQueue also starts with it.
            if (q.logicalId().equalsIgnoreCase(name) || q.name().equals(name)
                    || q.logicalId().equalsIgnoreCase(name + "DeadLetterQueue")) {
                return q;
            }
        }
        List<Queue> partial = all.stream().filter(q -> q.logicalId().toLowerCase(Locale.ROOT).contains(name.toLowerCase(Locale.ROOT))).toList();
        if (partial.size() == 1) {
            return partial.get(0);
        }
        throw new CliException(Exit.NOT_FOUND, "no dead-letter queue '" + name + "'" + (partial.size() > 1 ? " (ambiguous)" : "")
                + "; queues: " + String.join(", ", all.stream().map(Queue::logicalId).toList()));
    }

    static int depth(Target t, String url) {
        return Integer.parseInt(Target.aws(() -> t.sqs().getQueueAttributes(b -> b.queueUrl(url)
                .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES)).attributes()
                .get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES)));
    }

    @Command(name = "list", description = "Each dead-letter queue, its depth and where redrive sends its messages.")
    static final class ListQueues extends Base {
        @Override
        public Integer call() {
            List<Queue> all = queues(target());
            ArrayNode a = Json.array();
            Table t = new Table("QUEUE", "MESSAGES", "REDRIVES TO");
            for (Queue q : all) {
                int n = depth(target(), q.url());
                a.addObject().put("queue", q.logicalId()).put("url", q.url()).put("messages", n).put("redrive", q.redrive());
                t.row(q.logicalId(), n, q.redrive());
            }
            if (json()) {
                printJson(a);
            } else {
                out().print(t.render());
            }
            return Exit.OK;
        }
    }

    @Command(name = "show", description = "The messages waiting in a dead-letter queue (peeked: they stay).")
    static final class Show extends Base {
        @Parameters(index = "0", paramLabel = "NAME", description = "Logical id (EngineDeadLetterQueue), queue name, or a unique part (engine).")
        String name;
        @Option(names = "--max", defaultValue = "10", description = "At most this many messages (default ${DEFAULT-VALUE}).")
        int max;

        @Override
        public Integer call() {
            Queue q = find(target(), name);
            Map<String, Message> seen = new LinkedHashMap<>();
            for (int round = 0; round < 10 && seen.size() < max; round++) {
                int wait = round == 0 ? 1 : 0;
                List<Message> got = Target.aws(() -> target().sqs().receiveMessage(b -> b.queueUrl(q.url())
                        .maxNumberOfMessages(Math.min(10, max)).visibilityTimeout(0).waitTimeSeconds(wait)
                        .messageSystemAttributeNames(MessageSystemAttributeName.ALL)).messages());
                if (got.isEmpty()) {
                    break;
                }
                int before = seen.size();
                got.forEach(m -> seen.putIfAbsent(m.messageId(), m));
                if (seen.size() == before) {
                    break;
                }
            }
            List<Message> shown = new ArrayList<>(seen.values()).subList(0, Math.min(max, seen.size()));
            if (json()) {
                ArrayNode a = Json.array();
                for (Message m : shown) {
                    ObjectNode o = a.addObject();
                    o.put("messageId", m.messageId());
                    o.put("receiveCount", m.attributes().get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT));
                    o.set("body", body(m.body()));
                }
                printJson(a);
                return Exit.OK;
            }
            out().println(q.logicalId() + ": " + depth(target(), q.url()) + " message(s); redrive sends them to " + q.redrive());
            DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(root().zone);
            for (Message m : shown) {
                String sent = m.attributes().get(MessageSystemAttributeName.SENT_TIMESTAMP);
                out().println("--- " + m.messageId() + (sent == null ? "" : "  sent " + f.format(Instant.ofEpochMilli(Long.parseLong(sent))))
                        + "  received " + m.attributes().getOrDefault(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT, "?") + " time(s)");
                try {
                    out().println(PRETTY.writeValueAsString(body(m.body())));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    out().println(m.body());
                }
            }
            return Exit.OK;
        }
    }

    static JsonNode body(String text) {
        try {
            return Json.parse(text);
        } catch (RuntimeException e) {
            return Json.nodes().textNode(text);
        }
    }

    /** A stream failure record (a stream's on-failure destination): describes a batch, is not one. */
    static boolean streamFailureRecord(JsonNode body) {
        return body.has("DDBStreamBatchInfo") || body.has("KinesisBatchInfo");
    }

    /**
     * The event inside a Lambda async on-failure destination record ({@code requestPayload}, an object or a
     * JSON string), or the body itself when it is the raw event (a rule's dead-letter message).
     */
    static JsonNode originalEvent(JsonNode body) {
        JsonNode payload = body.get("requestPayload");
        if (payload == null || !body.has("requestContext")) {
            return body;
        }
        return payload.isTextual() ? body(payload.asText()) : payload;
    }

    @Command(name = "redrive", description = "Send a dead-letter queue's messages back where they failed (see its orchestrator:redrive tag).")
    static final class Redrive extends Base {
        @Parameters(index = "0", paramLabel = "NAME") String name;

        @Override
        public Integer call() {
            Queue q = find(target(), name);
            if (q.redrive() == null || !q.redrive().contains(":")) {
                throw new CliException(Exit.REFUSED, q.logicalId() + " has no orchestrator:redrive tag: nowhere to send its messages");
            }
            String kind = q.redrive().substring(0, q.redrive().indexOf(':'));
            String logical = q.redrive().substring(q.redrive().indexOf(':') + 1);
            String physical = physicalIds(target()).get(logical);
            if (physical == null) {
                throw new CliException(Exit.UNREACHABLE, "stack " + target().stack() + " has no resource " + logical);
            }
            String targetUrl = kind.equals("queue") && !physical.startsWith("http")
                    ? Target.aws(() -> target().sqs().getQueueUrl(b -> b.queueName(physical.substring(physical.lastIndexOf(':') + 1))).queueUrl())
                    : physical;
            int moved = 0;
            List<String> left = new ArrayList<>();
            java.util.Set<String> tried = new java.util.HashSet<>();
            while (true) {
                List<Message> batch = Target.aws(() -> target().sqs().receiveMessage(b -> b.queueUrl(q.url())
                        .maxNumberOfMessages(10).visibilityTimeout(60).waitTimeSeconds(1)).messages());
                List<Message> fresh = new ArrayList<>();
                for (Message m : batch) {
                    if (tried.add(m.messageId())) {
                        fresh.add(m);
                    } else {
                        release(q, m); // seen and left already: visible again at once, not in 60 s
                    }
                }
                if (fresh.isEmpty()) {
                    break;
                }
                batch = fresh;
                for (Message m : batch) {
                    String problem = redrive(kind, targetUrl, m);
                    if (problem == null) {
                        Target.aws(() -> target().sqs().deleteMessage(b -> b.queueUrl(q.url()).receiptHandle(m.receiptHandle())));
                        moved++;
                    } else {
                        left.add(m.messageId() + ": " + problem);
                        release(q, m);
                    }
                }
            }
            if (json()) {
                ObjectNode o = Json.object();
                o.put("queue", q.logicalId()).put("to", q.redrive()).put("redriven", moved);
                left.forEach(o.putArray("left")::add);
                printJson(o);
            } else if (moved == 0 && left.isEmpty()) {
                out().println(q.logicalId() + ": empty, nothing to redrive");
            } else {
                out().println(q.logicalId() + ": redrove " + moved + " message(s) to " + q.redrive() + (left.isEmpty() ? "" : "; "
                        + left.size() + " left in the queue"));
                left.forEach(l -> out().println("  left " + l));
            }
            return left.isEmpty() ? Exit.OK : Exit.REFUSED;
        }

        private void release(Queue q, Message m) {
            Target.aws(() -> target().sqs().changeMessageVisibility(b -> b.queueUrl(q.url())
                    .receiptHandle(m.receiptHandle()).visibilityTimeout(0)));
        }

        /** @return null when the message was delivered again, else why not */
        private String redrive(String kind, String target, Message m) {
            JsonNode body = body(m.body());
            if (kind.equals("stream") || streamFailureRecord(body)) {
                return "a stream failure record (it names a batch of the status stream, not its contents): "
                        + "fix the cause, then `orchestrator resume` the runs concerned";
            }
            try {
                if (kind.equals("queue")) {
                    Target.aws(() -> target().sqs().sendMessage(b -> b.queueUrl(target).messageBody(m.body())));
                    return null;
                }
                if (kind.equals("function")) {
                    invoke(target, originalEvent(body));
                    return null;
                }
                return "unknown redrive kind '" + kind + "'";
            } catch (CliException e) {
                return e.getMessage();
            }
        }
    }
}
