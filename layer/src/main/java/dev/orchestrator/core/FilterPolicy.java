package dev.orchestrator.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Predicts whether SNS delivers a message to a subscription, from the subscription's filter policy
 * and {@code FilterPolicyScope}. Pure: no AWS call, no clock; the same policy and message always give
 * the same answer. What it implements (SNS's documented semantics):
 * <ul>
 * <li>keys are ANDed, the values listed under one key are ORed; {@code "$or": [{...}, {...}]} ORs whole
 *     sub-policies (recognized, as SNS does, only when its value is an array of at least two objects
 *     none of which uses an operator keyword; otherwise {@code $or} is an ordinary key);</li>
 * <li>exact strings (case-sensitive), numbers (by value: {@code 301.5} equals {@code 3.015e2}),
 *     {@code true}, {@code false}, {@code null};</li>
 * <li>{@code prefix}, {@code suffix}, {@code equals-ignore-case} (strings only);</li>
 * <li>{@code anything-but} with one value, a list of values, or {@code {"prefix": ...}};</li>
 * <li>{@code numeric} with {@code =}, {@code <}, {@code <=}, {@code >}, {@code >=}, or a range
 *     ({@code >}/{@code >=} then {@code <}/{@code <=});</li>
 * <li>{@code exists}: {@code true} matches a key that has a value, {@code false} one that has none;</li>
 * <li>{@code cidr} (IPv4) on string values.</li>
 * </ul>
 * A key the message lacks matches only {@code {"exists": false}}; every other condition, {@code anything-but}
 * included, needs a value. A message with no attributes at all (no properties, for the body scope)
 * matches no non-empty policy, {@code exists: false} included, as SNS documents.
 * <p>
 * <b>MessageAttributes</b> scope: {@code String} attributes are strings, {@code Number} attributes are
 * numbers (string conditions do not match them, and {@code numeric} matches only them), each element of
 * a {@code String.Array} is matched on its own (a string, number, boolean or null), {@code Binary}
 * attributes are ignored (as if absent). Nested policies are refused in this scope.
 * <p>
 * <b>MessageBody</b> scope: the body must be a JSON object or nothing matches. Nested policy objects follow
 * nested body objects; an array anywhere on the way, or at the end, is matched element by element (any
 * element that matches is enough). Objects are not leaves: {@code exists} and value conditions see
 * only scalars. A {@code null} leaf matches {@code [null]}; it, an empty string and an empty array count as
 * absent for {@code exists} (SNS: "the key must have a non-null and non-empty value").
 * <p>
 * Not enforced: SNS's size limits (5 keys, 150 value combinations, 256 KB), which SNS checks when the
 * policy is set, so a policy a subscription holds already meets them. Numbers are compared exactly; SNS
 * documents five decimal places of precision, so values that differ only beyond that are outside what
 * SNS promises. A malformed policy or message gets an {@link IllegalArgumentException} naming the fault.
 */
public final class FilterPolicy {

    /** The subscription attribute {@code FilterPolicyScope}. */
    public enum Scope {
        MESSAGE_ATTRIBUTES("MessageAttributes"),
        MESSAGE_BODY("MessageBody");

        private final String wire;

        Scope(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        /** {@code null} or blank is SNS's default, {@code MessageAttributes}. */
        public static Scope of(String wire) {
            if (wire == null || wire.isBlank()) {
                return MESSAGE_ATTRIBUTES;
            }
            for (Scope s : values()) {
                if (s.wire.equals(wire.trim())) {
                    return s;
                }
            }
            throw new IllegalArgumentException("FilterPolicyScope must be MessageAttributes or MessageBody, not '" + wire + "'");
        }
    }

    /**
     * One SNS message attribute as published: {@code type} is {@code String}, {@code Number},
     * {@code String.Array} (value: a JSON array) or {@code Binary} (value ignored).
     */
    public record Attribute(String type, String value) {
        public Attribute {
            Objects.requireNonNull(type, "type");
        }

        public static Attribute string(String value) {
            return new Attribute("String", value);
        }

        public static Attribute number(String value) {
            return new Attribute("Number", value);
        }

        public static Attribute stringArray(String jsonArray) {
            return new Attribute("String.Array", jsonArray);
        }

        public static Attribute binary() {
            return new Attribute("Binary", null);
        }
    }

    private static final Set<String> OPERATORS =
            Set.of("prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "cidr");

    private final String text;
    private final Scope scope;
    /** ORed alternatives (one per {@code $or} branch combination), each an AND of its entries. */
    private final List<List<Entry>> alternatives;

    private FilterPolicy(String text, Scope scope, List<List<Entry>> alternatives) {
        this.text = text;
        this.scope = scope;
        this.alternatives = alternatives;
    }

    /** Parses and checks a policy; {@code scope} as the subscription attribute spells it ({@code null}: attributes). */
    public static FilterPolicy parse(String policyJson, String scope) {
        return parse(policyJson, Scope.of(scope));
    }

    public static FilterPolicy parse(String policyJson, Scope scope) {
        Objects.requireNonNull(scope, "scope");
        if (policyJson == null || policyJson.isBlank()) {
            throw new IllegalArgumentException("filter policy is empty; a subscription without a filter policy has no policy to parse");
        }
        JsonNode root;
        try {
            root = Json.parse(policyJson);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("filter policy is not valid JSON: " + e.getMessage(), e);
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException("filter policy must be a JSON object, not " + root.getNodeType().toString().toLowerCase());
        }
        List<List<Entry>> alternatives = expand(root, List.of(), scope);
        return new FilterPolicy(policyJson, scope, alternatives);
    }

    /** One-shot form: would a subscription with this policy and scope receive this message. */
    public static boolean delivers(String policyJson, String scope, Map<String, Attribute> attributes, String body) {
        return parse(policyJson, scope).matches(attributes, body);
    }

    /** Attributes as the SNS client publishes them ({@code dataType}, {@code stringValue}). */
    public static Map<String, Attribute> attributesOf(
            Map<String, software.amazon.awssdk.services.sns.model.MessageAttributeValue> published) {
        Map<String, Attribute> out = new LinkedHashMap<>();
        if (published != null) {
            published.forEach((name, v) -> out.put(name, new Attribute(v.dataType(), v.stringValue())));
        }
        return out;
    }

    public Scope scope() {
        return scope;
    }

    public String text() {
        return text;
    }

    /** Whether SNS would deliver a message with these attributes and this body to the subscription. */
    public boolean matches(Map<String, Attribute> attributes, String body) {
        if (alternatives.isEmpty()) {
            return true; // "{}": no condition
        }
        Leaves leaves = scope == Scope.MESSAGE_ATTRIBUTES ? attributeLeaves(attributes) : bodyLeaves(body);
        if (leaves == null) {
            return false;
        }
        for (List<Entry> alternative : alternatives) {
            if (alternative.stream().allMatch(e -> e.matches(leaves.at(e.path())))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return scope.wire() + " " + text;
    }

    // ---- policy parsing ----

    /** A key (a path, for nested body policies) and the conditions listed under it (any one may match). */
    private record Entry(List<String> path, List<Condition> conditions) {
        boolean matches(List<Value> values) {
            // SNS: exists:true needs a non-null, non-empty value; exists:false is its complement
            boolean present = values.stream().anyMatch(v -> !(v instanceof Null) && !(v instanceof Str s && s.s().isEmpty()));
            for (Condition c : conditions) {
                if (c instanceof Exists exists) {
                    if (exists.expected() == present) {
                        return true;
                    }
                } else {
                    for (Value v : values) {
                        if (c.test(v)) {
                            return true;
                        }
                    }
                }
            }
            return false;
        }
    }

    private static List<List<Entry>> expand(JsonNode object, List<String> parent, Scope scope) {
        List<List<Entry>> alternatives = new ArrayList<>();
        alternatives.add(new ArrayList<>());
        Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String key = field.getKey();
            JsonNode value = field.getValue();
            String where = String.join(".", append(parent, key));
            List<List<Entry>> branch;
            if (isOr(key, value)) {
                branch = new ArrayList<>();
                for (JsonNode option : value) {
                    branch.addAll(expand(option, parent, scope));
                }
            } else if (value.isObject()) {
                if (scope == Scope.MESSAGE_ATTRIBUTES) {
                    throw new IllegalArgumentException("filter policy key '" + where
                            + "' is a nested object, which FilterPolicyScope MessageAttributes does not support (use MessageBody)");
                }
                if (value.isEmpty()) {
                    throw new IllegalArgumentException("filter policy key '" + where + "' is an empty object");
                }
                branch = expand(value, append(parent, key), scope);
            } else if (value.isArray()) {
                if (value.isEmpty()) {
                    throw new IllegalArgumentException("filter policy key '" + where + "' has an empty array; list at least one value");
                }
                List<Condition> conditions = new ArrayList<>();
                for (JsonNode c : value) {
                    conditions.add(condition(c, where));
                }
                branch = List.of(List.of(new Entry(append(parent, key), List.copyOf(conditions))));
            } else {
                throw new IllegalArgumentException("filter policy key '" + where + "' must be an array of values"
                        + (scope == Scope.MESSAGE_BODY ? " or an object" : "") + ", not " + value);
            }
            List<List<Entry>> product = new ArrayList<>();
            for (List<Entry> left : alternatives) {
                for (List<Entry> right : branch) {
                    List<Entry> both = new ArrayList<>(left);
                    both.addAll(right);
                    product.add(both);
                }
            }
            alternatives = product;
        }
        if (alternatives.size() == 1 && alternatives.get(0).isEmpty()) {
            return List.of();
        }
        return alternatives;
    }

    /** SNS's rule: {@code $or} is the operator only with an array of at least two objects free of operator keywords. */
    private static boolean isOr(String key, JsonNode value) {
        if (!"$or".equals(key) || !value.isArray() || value.size() < 2) {
            return false;
        }
        for (JsonNode option : value) {
            if (!option.isObject() || option.isEmpty()) {
                return false;
            }
            Iterator<String> names = option.fieldNames();
            while (names.hasNext()) {
                if (OPERATORS.contains(names.next())) {
                    return false;
                }
            }
        }
        return true;
    }

    private static List<String> append(List<String> parent, String key) {
        List<String> out = new ArrayList<>(parent);
        out.add(key);
        return List.copyOf(out);
    }

    private static Condition condition(JsonNode c, String where) {
        if (c.isTextual() || c.isNumber() || c.isBoolean() || c.isNull()) {
            Value v = literal(c);
            return new Exact(v);
        }
        if (!c.isObject()) {
            throw new IllegalArgumentException("filter policy key '" + where
                    + "': a value must be a string, number, true, false, null or an operator object, not " + c);
        }
        if (c.size() != 1) {
            throw new IllegalArgumentException("filter policy key '" + where
                    + "': an operator object has exactly one operator, not " + c);
        }
        Map.Entry<String, JsonNode> op = c.fields().next();
        String name = op.getKey();
        JsonNode arg = op.getValue();
        return switch (name) {
            case "prefix" -> new Prefix(text(arg, where, name));
            case "suffix" -> new Suffix(text(arg, where, name));
            case "equals-ignore-case" -> new EqualsIgnoreCase(text(arg, where, name));
            case "exists" -> {
                if (!arg.isBoolean()) {
                    throw new IllegalArgumentException("filter policy key '" + where + "': exists must be true or false, not " + arg);
                }
                yield new Exists(arg.booleanValue());
            }
            case "anything-but" -> anythingBut(arg, where);
            case "numeric" -> numeric(arg, where);
            case "cidr" -> Cidr.parse(text(arg, where, name), where);
            default -> throw new IllegalArgumentException("filter policy key '" + where + "': unknown operator '" + name
                    + "' (known: " + String.join(", ", OPERATORS.stream().sorted().toList()) + ")");
        };
    }

    private static String text(JsonNode arg, String where, String op) {
        if (!arg.isTextual()) {
            throw new IllegalArgumentException("filter policy key '" + where + "': " + op + " takes a string, not " + arg);
        }
        return arg.textValue();
    }

    private static Condition anythingBut(JsonNode arg, String where) {
        if (arg.isObject()) {
            if (arg.size() != 1 || !arg.has("prefix")) {
                throw new IllegalArgumentException("filter policy key '" + where
                        + "': anything-but takes a value, a list of values or {\"prefix\": ...}, not " + arg);
            }
            return new AnythingButPrefix(text(arg.get("prefix"), where, "anything-but prefix"));
        }
        List<Value> excluded = new ArrayList<>();
        if (arg.isArray()) {
            if (arg.isEmpty()) {
                throw new IllegalArgumentException("filter policy key '" + where + "': anything-but has an empty list");
            }
            for (JsonNode v : arg) {
                excluded.add(anythingButValue(v, where));
            }
        } else {
            excluded.add(anythingButValue(arg, where));
        }
        return new AnythingBut(List.copyOf(excluded));
    }

    private static Value anythingButValue(JsonNode v, String where) {
        if (v.isTextual() || v.isNumber()) {
            return literal(v);
        }
        throw new IllegalArgumentException("filter policy key '" + where + "': anything-but values must be strings or numbers, not " + v);
    }

    private static Condition numeric(JsonNode arg, String where) {
        String prefix = "filter policy key '" + where + "': numeric ";
        if (!arg.isArray() || arg.isEmpty()) {
            throw new IllegalArgumentException(prefix + "takes [operator, number] or [>/>=, number, </<=, number], not " + arg);
        }
        if (arg.size() != 2 && arg.size() != 4) {
            throw new IllegalArgumentException(prefix + "has " + arg.size() + " elements; it takes 2 (one comparison) or 4 (a range)");
        }
        String op1 = operator(arg.get(0), prefix, Set.of("=", "<", "<=", ">", ">="));
        BigDecimal v1 = number(arg.get(1), prefix, op1);
        if (arg.size() == 2) {
            return switch (op1) {
                case "=" -> new Numeric(v1, true, v1, true);
                case "<" -> new Numeric(null, false, v1, false);
                case "<=" -> new Numeric(null, false, v1, true);
                case ">" -> new Numeric(v1, false, null, false);
                default -> new Numeric(v1, true, null, false);
            };
        }
        if (!op1.startsWith(">")) {
            throw new IllegalArgumentException(prefix + "range must start with > or >=, not " + op1);
        }
        String op2 = operator(arg.get(2), prefix, Set.of("<", "<="));
        BigDecimal v2 = number(arg.get(3), prefix, op2);
        if (v2.compareTo(v1) <= 0) {
            throw new IllegalArgumentException(prefix + "range is empty: its bottom " + v1.toPlainString()
                    + " must be less than its top " + v2.toPlainString());
        }
        return new Numeric(v1, op1.equals(">="), v2, op2.equals("<="));
    }

    private static String operator(JsonNode n, String prefix, Set<String> allowed) {
        if (!n.isTextual() || !allowed.contains(n.textValue())) {
            throw new IllegalArgumentException(prefix + "operator must be one of " + allowed.stream().sorted().toList() + ", not " + n);
        }
        return n.textValue();
    }

    private static BigDecimal number(JsonNode n, String prefix, String op) {
        if (!n.isNumber()) {
            throw new IllegalArgumentException(prefix + "value after " + op + " must be a number, not " + n);
        }
        return decimal(n);
    }

    // ---- values ----

    private sealed interface Value permits Str, Num, Bool, Null {
    }

    private record Str(String s) implements Value {
    }

    /** Compared by value ({@code compareTo}), never by scale. */
    private record Num(BigDecimal n) implements Value {
        @Override
        public boolean equals(Object o) {
            return o instanceof Num other && n.compareTo(other.n) == 0;
        }

        @Override
        public int hashCode() {
            return n.stripTrailingZeros().hashCode();
        }
    }

    private record Bool(boolean b) implements Value {
    }

    private record Null() implements Value {
    }

    private static Value literal(JsonNode n) {
        if (n.isTextual()) {
            return new Str(n.textValue());
        }
        if (n.isNumber()) {
            return new Num(decimal(n));
        }
        if (n.isBoolean()) {
            return new Bool(n.booleanValue());
        }
        return new Null();
    }

    /** Doubles through their shortest decimal form, so 0.1 read from JSON equals "0.1" read from an attribute. */
    private static BigDecimal decimal(JsonNode n) {
        if (n.isDouble() || n.isFloat()) {
            double d = n.doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new IllegalArgumentException("number out of range: " + n);
            }
            return BigDecimal.valueOf(d);
        }
        return n.decimalValue();
    }

    // ---- conditions ----

    private sealed interface Condition
            permits Exact, Prefix, Suffix, EqualsIgnoreCase, AnythingBut, AnythingButPrefix, Numeric, Exists, Cidr {
        boolean test(Value v);
    }

    private record Exact(Value expected) implements Condition {
        public boolean test(Value v) {
            return expected.equals(v);
        }
    }

    private record Prefix(String prefix) implements Condition {
        public boolean test(Value v) {
            return v instanceof Str s && s.s().startsWith(prefix);
        }
    }

    private record Suffix(String suffix) implements Condition {
        public boolean test(Value v) {
            return v instanceof Str s && s.s().endsWith(suffix);
        }
    }

    private record EqualsIgnoreCase(String expected) implements Condition {
        public boolean test(Value v) {
            return v instanceof Str s && s.s().equalsIgnoreCase(expected);
        }
    }

    /** A present value that is none of the listed ones (a null leaf is no value). */
    private record AnythingBut(List<Value> excluded) implements Condition {
        public boolean test(Value v) {
            return !(v instanceof Null) && !excluded.contains(v);
        }
    }

    private record AnythingButPrefix(String prefix) implements Condition {
        public boolean test(Value v) {
            return !(v instanceof Null) && !(v instanceof Str s && s.s().startsWith(prefix));
        }
    }

    private record Numeric(BigDecimal low, boolean lowInclusive, BigDecimal high, boolean highInclusive) implements Condition {
        public boolean test(Value v) {
            if (!(v instanceof Num num)) {
                return false;
            }
            BigDecimal n = num.n();
            if (low != null) {
                int c = n.compareTo(low);
                if (c < 0 || (c == 0 && !lowInclusive)) {
                    return false;
                }
            }
            if (high != null) {
                int c = n.compareTo(high);
                return c < 0 || (c == 0 && highInclusive);
            }
            return true;
        }
    }

    /** Handled by {@link Entry#matches}: it is about the key, not a value. */
    private record Exists(boolean expected) implements Condition {
        public boolean test(Value v) {
            throw new UnsupportedOperationException("exists is evaluated per key");
        }
    }

    /** IPv4 CIDR block; a value that is not a dotted-quad IPv4 address does not match. */
    private record Cidr(long network, int bits) implements Condition {
        static Cidr parse(String cidr, String where) {
            int slash = cidr.indexOf('/');
            if (slash < 0 || cidr.indexOf('/', slash + 1) >= 0) {
                throw new IllegalArgumentException("filter policy key '" + where + "': cidr '" + cidr + "' needs exactly one '/'");
            }
            Long address = ipv4(cidr.substring(0, slash));
            if (address == null) {
                throw new IllegalArgumentException("filter policy key '" + where + "': cidr '" + cidr
                        + "' is not an IPv4 block (this predictor supports IPv4 cidr only)");
            }
            int bits;
            try {
                bits = Integer.parseInt(cidr.substring(slash + 1));
            } catch (NumberFormatException e) {
                bits = -1;
            }
            if (bits < 0 || bits > 32) {
                throw new IllegalArgumentException("filter policy key '" + where + "': cidr '" + cidr + "' mask must be 0-32");
            }
            return new Cidr(address & mask(bits), bits);
        }

        static long mask(int bits) {
            return bits == 0 ? 0 : (0xFFFFFFFFL << (32 - bits)) & 0xFFFFFFFFL;
        }

        static Long ipv4(String s) {
            String[] parts = s.split("\\.", -1);
            if (parts.length != 4) {
                return null;
            }
            long out = 0;
            for (String p : parts) {
                if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
                    return null;
                }
                int octet = Integer.parseInt(p);
                if (octet > 255) {
                    return null;
                }
                out = (out << 8) | octet;
            }
            return out;
        }

        public boolean test(Value v) {
            if (!(v instanceof Str s)) {
                return false;
            }
            Long address = ipv4(s.s());
            return address != null && (address & mask(bits)) == network;
        }
    }

    // ---- message leaves ----

    /** The scalar values a message has at a key (path); empty when it has none. */
    private interface Leaves {
        List<Value> at(List<String> path);
    }

    private static Leaves attributeLeaves(Map<String, Attribute> attributes) {
        if (attributes == null || attributes.isEmpty()) {
            return null; // SNS: an empty attribute set matches no policy, not even exists:false
        }
        Map<String, List<Value>> byName = new LinkedHashMap<>();
        attributes.forEach((name, a) -> byName.put(name, attributeValues(name, a)));
        return path -> byName.getOrDefault(path.get(0), List.of());
    }

    private static List<Value> attributeValues(String name, Attribute a) {
        if (a == null) {
            throw new IllegalArgumentException("message attribute '" + name + "' is null");
        }
        String type = a.type();
        String value = a.value();
        switch (type) {
            case "Binary":
                return List.of(); // SNS ignores Binary attributes when filtering
            case "String":
                requireValue(name, type, value);
                return List.of(new Str(value));
            case "Number":
                requireValue(name, type, value);
                try {
                    return List.of(new Num(new BigDecimal(value.trim())));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("message attribute '" + name + "' has Type Number but its value '"
                            + value + "' is not a number");
                }
            case "String.Array":
                requireValue(name, type, value);
                JsonNode array;
                try {
                    array = Json.parse(value);
                } catch (IllegalArgumentException e) {
                    array = null;
                }
                if (array == null || !array.isArray()) {
                    throw new IllegalArgumentException("message attribute '" + name + "' has Type String.Array but its value '"
                            + value + "' is not a JSON array");
                }
                List<Value> out = new ArrayList<>();
                for (JsonNode element : array) {
                    if (element.isValueNode()) {
                        out.add(literal(element));
                    }
                }
                return out;
            default:
                throw new IllegalArgumentException("message attribute '" + name + "' has Type '" + type
                        + "'; SNS attribute types are String, Number, String.Array and Binary");
        }
    }

    private static void requireValue(String name, String type, String value) {
        if (value == null) {
            throw new IllegalArgumentException("message attribute '" + name + "' of Type " + type + " has no value");
        }
    }

    private static Leaves bodyLeaves(String body) {
        JsonNode root;
        try {
            root = body == null ? null : Json.parse(body);
        } catch (IllegalArgumentException e) {
            return null; // SNS: body filtering needs a well-formed JSON object; anything else matches nothing
        }
        if (root == null || !root.isObject() || root.isEmpty()) {
            return null;
        }
        return path -> {
            List<Value> out = new ArrayList<>();
            collect(root, path, 0, out);
            return out;
        };
    }

    private static void collect(JsonNode node, List<String> path, int depth, List<Value> out) {
        if (node.isArray()) {
            for (JsonNode element : node) {
                collect(element, path, depth, out);
            }
        } else if (depth == path.size()) {
            if (node.isValueNode()) {
                out.add(literal(node));
            }
        } else if (node.isObject()) {
            JsonNode child = node.get(path.get(depth));
            if (child != null) {
                collect(child, path, depth + 1, out);
            }
        }
    }
}
