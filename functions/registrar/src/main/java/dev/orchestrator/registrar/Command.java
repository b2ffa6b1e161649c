package dev.orchestrator.registrar;

import com.fasterxml.jackson.databind.JsonNode;

/** What the registrar was asked to do, read from its input. Pure. */
public sealed interface Command {

    /** A Lambda subscribed to a topic (CloudTrail "Subscribe"). */
    record Subscribe(String topicArn, String endpoint, String subscriptionArn) implements Command {
    }

    /** A subscription was removed (CloudTrail "Unsubscribe"). */
    record Unsubscribe(String subscriptionArn) implements Command {
    }

    /** A function's code changed (CloudTrail "UpdateFunctionCode"): ask it again who it is. */
    record CodeUpdated(String functionName) implements Command {
    }

    /** Compare the topics' subscriptions with the registry (schedule or direct invoke). */
    record Reconcile() implements Command {
    }

    static Command parse(JsonNode event) {
        if ("reconcile".equals(event.path("action").asText(null)) || "Scheduled Event".equals(event.path("detail-type").asText(null))) {
            return new Reconcile();
        }
        if (!"AWS API Call via CloudTrail".equals(event.path("detail-type").asText(null))) {
            throw new IllegalArgumentException("registrar expects {\"action\":\"reconcile\"}, a Scheduled Event or a CloudTrail API"
                    + " call event, got detail-type " + event.path("detail-type"));
        }
        JsonNode d = event.path("detail");
        String name = d.path("eventName").asText("");
        JsonNode req = d.path("requestParameters");
        if (name.equals("Subscribe")) {
            String sub = d.path("responseElements").path("subscriptionArn").asText(null);
            if (sub == null || !req.hasNonNull("topicArn") || !req.hasNonNull("endpoint")) {
                throw new IllegalArgumentException("Subscribe event lacks topicArn, endpoint or responseElements.subscriptionArn");
            }
            return new Subscribe(req.get("topicArn").asText(), req.get("endpoint").asText(), sub);
        }
        if (name.equals("Unsubscribe")) {
            if (!req.hasNonNull("subscriptionArn")) {
                throw new IllegalArgumentException("Unsubscribe event lacks requestParameters.subscriptionArn");
            }
            return new Unsubscribe(req.get("subscriptionArn").asText());
        }
        if (name.startsWith("UpdateFunctionCode")) {
            if (!req.hasNonNull("functionName")) {
                throw new IllegalArgumentException("UpdateFunctionCode event lacks requestParameters.functionName");
            }
            return new CodeUpdated(functionName(req.get("functionName").asText()));
        }
        throw new IllegalArgumentException("registrar does not handle CloudTrail event " + name);
    }

    /** A function name from a name or an ARN (arn:aws:lambda:r:a:function:name[:qualifier]). */
    static String functionName(String nameOrArn) {
        String[] parts = nameOrArn.split(":");
        int i = java.util.Arrays.asList(parts).indexOf("function");
        return i >= 0 && i + 1 < parts.length ? parts[i + 1] : nameOrArn;
    }

    /** The topic of a subscription ARN (the topic ARN plus ":<id>"). */
    static String topicOf(String subscriptionArn) {
        return subscriptionArn.substring(0, subscriptionArn.lastIndexOf(':'));
    }
}
