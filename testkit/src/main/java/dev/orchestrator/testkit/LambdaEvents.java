package dev.orchestrator.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/** Builds the JSON events Lambda passes to handlers, from what the emulator delivered. */
public final class LambdaEvents {

    private LambdaEvents() {
    }

    /** An SNS event from the SNS envelope an SQS subscription received. */
    static ObjectNode sns(JsonNode envelope, String subscriptionArn) {
        ObjectNode event = SamStack.JSON.createObjectNode();
        ObjectNode record = event.putArray("Records").addObject();
        record.put("EventSource", "aws:sns");
        record.put("EventVersion", "1.0");
        record.put("EventSubscriptionArn", subscriptionArn);
        ObjectNode sns = record.putObject("Sns");
        sns.put("Type", envelope.path("Type").asText("Notification"));
        sns.put("MessageId", envelope.path("MessageId").asText());
        sns.put("TopicArn", envelope.path("TopicArn").asText());
        if (envelope.hasNonNull("Subject")) {
            sns.put("Subject", envelope.get("Subject").asText());
        } else {
            sns.putNull("Subject");
        }
        sns.put("Message", envelope.path("Message").asText());
        sns.put("Timestamp", envelope.path("Timestamp").asText());
        sns.put("SignatureVersion", envelope.path("SignatureVersion").asText("1"));
        sns.put("Signature", envelope.path("Signature").asText("EXAMPLE"));
        sns.put("SigningCertUrl", envelope.path("SigningCertURL").asText(""));
        sns.put("UnsubscribeUrl", envelope.path("UnsubscribeURL").asText(""));
        ObjectNode attrs = sns.putObject("MessageAttributes");
        envelope.path("MessageAttributes").fields().forEachRemaining(e -> attrs.set(e.getKey(), e.getValue()));
        return event;
    }

    static ObjectNode sqs(List<Message> messages, String queueArn) {
        ObjectNode event = SamStack.JSON.createObjectNode();
        ArrayNode records = event.putArray("Records");
        for (Message m : messages) {
            ObjectNode r = records.addObject();
            r.put("messageId", m.messageId());
            r.put("receiptHandle", m.receiptHandle());
            r.put("body", m.body());
            ObjectNode attributes = r.putObject("attributes");
            for (Map.Entry<MessageSystemAttributeName, String> a : m.attributes().entrySet()) {
                attributes.put(a.getKey().toString(), a.getValue());
            }
            ObjectNode mattrs = r.putObject("messageAttributes");
            m.messageAttributes().forEach((k, v) -> {
                ObjectNode a = mattrs.putObject(k);
                a.put("stringValue", v.stringValue());
                a.put("dataType", v.dataType());
            });
            r.put("md5OfBody", m.md5OfBody());
            r.put("eventSource", "aws:sqs");
            r.put("eventSourceARN", queueArn);
            r.put("awsRegion", Emulator.REGION);
        }
        return event;
    }

    static ObjectNode dynamodb(List<Record> records, String streamArn) {
        ObjectNode event = SamStack.JSON.createObjectNode();
        ArrayNode out = event.putArray("Records");
        for (Record rec : records) {
            ObjectNode r = out.addObject();
            r.put("eventID", rec.eventID());
            r.put("eventName", rec.eventNameAsString());
            r.put("eventVersion", "1.1");
            r.put("eventSource", "aws:dynamodb");
            r.put("awsRegion", Emulator.REGION);
            ObjectNode d = r.putObject("dynamodb");
            var s = rec.dynamodb();
            if (s.approximateCreationDateTime() != null) {
                d.put("ApproximateCreationDateTime", s.approximateCreationDateTime().getEpochSecond());
            }
            d.set("Keys", image(s.keys()));
            if (s.hasNewImage()) {
                d.set("NewImage", image(s.newImage()));
            }
            if (s.hasOldImage()) {
                d.set("OldImage", image(s.oldImage()));
            }
            d.put("SequenceNumber", s.sequenceNumber());
            if (s.sizeBytes() != null) {
                d.put("SizeBytes", s.sizeBytes());
            }
            d.put("StreamViewType", s.streamViewTypeAsString());
            r.put("eventSourceARN", streamArn);
        }
        return event;
    }

    /** A one-record MODIFY stream event carrying an item as its new image (for replaying a record in tests). */
    public static String streamModify(Map<String, AttributeValue> keys, Map<String, AttributeValue> item, String sequence) {
        return streamRecord("MODIFY", keys, item, sequence);
    }

    /** A one-record INSERT stream event: what the table's stream delivers when an item is created. */
    public static String streamInsert(Map<String, AttributeValue> keys, Map<String, AttributeValue> item, String sequence) {
        return streamRecord("INSERT", keys, item, sequence);
    }

    private static String streamRecord(String name, Map<String, AttributeValue> keys, Map<String, AttributeValue> item,
                                       String sequence) {
        ObjectNode event = SamStack.JSON.createObjectNode();
        ObjectNode r = event.putArray("Records").addObject();
        r.put("eventName", name);
        r.put("eventSource", "aws:dynamodb");
        ObjectNode d = r.putObject("dynamodb");
        d.set("Keys", image(keys));
        d.set("NewImage", image(item));
        d.put("SequenceNumber", sequence);
        d.put("StreamViewType", "NEW_AND_OLD_IMAGES");
        return event.toString();
    }

    static ObjectNode image(Map<String, AttributeValue> item) {
        ObjectNode o = SamStack.JSON.createObjectNode();
        item.forEach((k, v) -> o.set(k, attribute(v)));
        return o;
    }

    /** DynamoDB JSON of one attribute value ({"S": ...}, {"M": {...}}, ...). */
    static ObjectNode attribute(AttributeValue v) {
        ObjectNode o = SamStack.JSON.createObjectNode();
        if (v.s() != null) {
            o.put("S", v.s());
        } else if (v.n() != null) {
            o.put("N", v.n());
        } else if (v.bool() != null) {
            o.put("BOOL", v.bool());
        } else if (Boolean.TRUE.equals(v.nul())) {
            o.put("NULL", true);
        } else if (v.hasM()) {
            o.set("M", image(v.m()));
        } else if (v.hasL()) {
            ArrayNode l = o.putArray("L");
            v.l().forEach(x -> l.add(attribute(x)));
        } else if (v.hasSs()) {
            ArrayNode l = o.putArray("SS");
            v.ss().forEach(l::add);
        } else if (v.hasNs()) {
            ArrayNode l = o.putArray("NS");
            v.ns().forEach(l::add);
        } else if (v.b() != null) {
            o.put("B", java.util.Base64.getEncoder().encodeToString(v.b().asByteArray()));
        } else {
            o.put("NULL", true);
        }
        return o;
    }
}
