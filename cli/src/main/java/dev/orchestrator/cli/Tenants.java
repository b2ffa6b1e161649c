package dev.orchestrator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.orchestrator.core.AttributeJson;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.StackExports;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** Tenants, from the tenant jobs table (export {@code <Stack>-tenant-jobs-name}). */
final class Tenants {

    static final String TENANT_JOB = "TENANT";
    static final Set<String> SHOWN_FIRST = Set.of("tenantId", "jobId", "status", "state", "cause", "updatedAt");

    private Tenants() {
    }

    @Command(name = "tenants", description = "Every tenant and its state (the TENANT item of each).")
    static final class All extends Base {
        @Override
        public Integer call() {
            String table = target().export(StackExports.TENANT_JOBS_TABLE);
            List<JsonNode> tenants = new ArrayList<>();
            // One TENANT item per tenant; the table has no index by jobId, and tenants are few.
            Target.aws(() -> {
                target().dynamo().scanPaginator(b -> b.tableName(table).filterExpression("jobId = :t")
                        .expressionAttributeValues(Map.of(":t", AttributeValue.fromS(TENANT_JOB)))).items()
                        .forEach(i -> tenants.add(AttributeJson.toJson(i)));
                return null;
            });
            tenants.sort(Comparator.comparing(n -> n.path("tenantId").asText()));
            if (json()) {
                ArrayNode a = Json.array();
                tenants.forEach(a::add);
                printJson(a);
                return Exit.OK;
            }
            if (tenants.isEmpty()) {
                out().println("no tenants");
                return Exit.OK;
            }
            DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(root().zone);
            Table t = new Table("TENANT", "STATE", "UPDATED", "CAUSE");
            for (JsonNode n : tenants) {
                t.row(n.path("tenantId").asText(), n.path("status").asText(n.path("state").asText(null)),
                        n.has("updatedAt") ? f.format(Instant.ofEpochMilli(n.path("updatedAt").asLong())) : null,
                        n.path("cause").asText(null));
            }
            out().print(t.render());
            return Exit.OK;
        }
    }

    @Command(name = "tenant", description = "One tenant: its state, builds and deployments.")
    static final class One extends Base {
        @Parameters(index = "0", paramLabel = "ID") String tenantId;

        @Override
        public Integer call() {
            String table = target().export(StackExports.TENANT_JOBS_TABLE);
            List<JsonNode> items = new ArrayList<>();
            Target.aws(() -> {
                target().dynamo().queryPaginator(b -> b.tableName(table).keyConditionExpression("tenantId = :t")
                        .expressionAttributeValues(Map.of(":t", AttributeValue.fromS(tenantId)))).items()
                        .forEach(i -> items.add(AttributeJson.toJson(i)));
                return null;
            });
            if (items.isEmpty()) {
                throw new CliException(Exit.NOT_FOUND, "no tenant " + tenantId + " in stack " + target().stack());
            }
            if (json()) {
                ArrayNode a = Json.array();
                items.forEach(a::add);
                printJson(a);
                return Exit.OK;
            }
            DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(root().zone);
            items.sort(Comparator.comparingLong((JsonNode n) -> n.path("updatedAt").asLong()));
            JsonNode tenant = items.stream().filter(n -> TENANT_JOB.equals(n.path("jobId").asText())).findFirst().orElse(null);
            out().println("tenant " + tenantId + ": " + (tenant == null ? "no state recorded"
                    : tenant.path("status").asText(tenant.path("state").asText("?"))
                    + (tenant.hasNonNull("cause") ? " (" + tenant.path("cause").asText() + ")" : "")));
            for (JsonNode n : items) {
                if (n == tenant) {
                    continue;
                }
                StringBuilder line = new StringBuilder("  ");
                line.append(n.has("updatedAt") ? f.format(Instant.ofEpochMilli(n.path("updatedAt").asLong())) : "-").append("  ")
                        .append(n.path("jobId").asText()).append("  ").append(n.path("status").asText(n.path("state").asText("")));
                if (n.hasNonNull("cause")) {
                    line.append("  cause: ").append(n.path("cause").asText());
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (!SHOWN_FIRST.contains(e.getKey()) && e.getValue().isValueNode() && !e.getValue().isNull()) {
                        line.append("  ").append(e.getKey()).append('=').append(e.getValue().asText());
                    }
                }
                out().println(line);
            }
            return Exit.OK;
        }
    }
}
