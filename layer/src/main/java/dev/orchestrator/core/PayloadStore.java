package dev.orchestrator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Function;
import java.util.function.Supplier;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * The stack's payload bucket (template.yaml, PayloadBucket): large plugin outputs, and stage inputs or run outputs
 * over the engine's budget. Objects are written whole with their SHA-256 recorded in the reference; a read checks
 * it, so a reader gets exactly the bytes the writer meant, or a clear error.
 */
public final class PayloadStore {

    /** Default life of a presigned link: 12 h, longer than any plugin timeout's default and a queue's redeliveries. */
    public static final int DEFAULT_URL_SECONDS = 12 * 3600;

    private final Supplier<S3Client> s3;
    private final String bucket;
    private final Function<Outputs.Ref, String> signer;

    /** {@code bucket} may be null: then any write is refused with an error naming {@code PAYLOAD_BUCKET}. */
    public PayloadStore(Supplier<S3Client> s3, String bucket) {
        this(s3, bucket, null);
    }

    /** With a {@code signer} (the engine's): the references it puts in stage messages carry a presigned GET link. */
    public PayloadStore(Supplier<S3Client> s3, String bucket, Function<Outputs.Ref, String> signer) {
        this.s3 = s3;
        this.bucket = bucket == null || bucket.isBlank() ? null : bucket;
        this.signer = signer;
    }

    /** A signer from a presigner (built once, on first use): GET links valid {@code seconds}. */
    public static Function<Outputs.Ref, String> presigning(Supplier<software.amazon.awssdk.services.s3.presigner.S3Presigner> presigner,
                                                          int seconds) {
        if (seconds < 1 || seconds > 7 * 24 * 3600) {
            throw new IllegalArgumentException(EnvNames.PAYLOAD_URL_SECONDS + " must be 1 to 604800 (S3's limit for a presigned link), got "
                    + seconds);
        }
        return ref -> presigner.get().presignGetObject(b -> b.signatureDuration(Duration.ofSeconds(seconds))
                .getObjectRequest(g -> g.bucket(ref.bucket()).key(ref.key()))).url().toString();
    }

    /** The reference with a presigned link when this store signs; as it is otherwise. */
    public Outputs.Ref signed(Outputs.Ref ref) {
        return signer == null || ref == null ? ref : ref.withUrl(signer.apply(ref));
    }

    /** Adds a presigned link to every {@code outputRef} of an {@code inputs[activity][plugin]} document, in place. */
    public ObjectNode sign(ObjectNode inputs) {
        if (signer == null) {
            return inputs;
        }
        inputs.fields().forEachRemaining(a -> a.getValue().fields().forEachRemaining(p -> {
            JsonNode wire = p.getValue();
            if (wire.isObject() && wire.has(Outputs.OUTPUT_REF)) {
                Outputs.Ref ref = Outputs.Ref.fromJson(wire.get(Outputs.OUTPUT_REF), a.getKey() + "." + p.getKey());
                ((ObjectNode) wire).set(Outputs.OUTPUT_REF, signed(ref).toJson());
            }
        }));
        return inputs;
    }

    /** A referenced payload that is gone or altered: retrying cannot help, so the plugin ends Error. */
    public static final class Gone extends IllegalStateException {
        public Gone(String message) {
            super(message);
        }
    }

    public String bucket() {
        return bucket;
    }

    /** Writes a JSON document and returns its reference. */
    public Outputs.Ref put(String key, JsonNode document) {
        if (bucket == null) {
            throw new IllegalStateException("this output needs the payload bucket, but " + EnvNames.PAYLOAD_BUCKET
                    + " is not set (import <Stack>-payload-bucket into the function's environment)");
        }
        byte[] bytes = Outputs.utf8(document);
        String sha = Outputs.sha256(bytes);
        s3.get().putObject(b -> b.bucket(bucket).key(key).contentType("application/json")
                .serverSideEncryption(ServerSideEncryption.AES256), RequestBody.fromBytes(bytes));
        return new Outputs.Ref(bucket, key, sha, bytes.length);
    }

    /** Reads a referenced document, verifying its size and SHA-256; {@code what} names it in errors. */
    public JsonNode get(Outputs.Ref ref, String what) {
        byte[] bytes;
        if (ref.url() != null) {
            bytes = fetch(ref, what);
        } else try {
            bytes = s3.get().getObjectAsBytes(b -> b.bucket(ref.bucket()).key(ref.key())).asByteArray();
        } catch (NoSuchKeyException | NoSuchBucketException gone) {
            throw new Gone(what + ": its payload object s3://" + ref.bucket() + "/" + ref.key()
                    + " is gone (expired with the run's retention, or deleted)");
        }
        String sha = Outputs.sha256(bytes);
        if (bytes.length != ref.size() || !sha.equals(ref.sha256())) {
            throw new Gone(what + ": its payload object s3://" + ref.bucket() + "/" + ref.key()
                    + " does not match its reference (sha256 " + sha + ", " + bytes.length + " bytes; expected "
                    + ref.sha256() + ", " + ref.size() + " bytes)");
        }
        return Json.parse(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Reads a JSON document a user put in S3 (a map's list): at most {@code maxBytes}, checked from the response's
     * length before the body is read. Problems throw {@link Gone} (no such object) or IllegalArgumentException (too
     * large, not JSON, not readable), each naming {@code what} and the object.
     */
    public JsonNode readJson(String bucketName, String key, long maxBytes, String what) {
        String where = "s3://" + bucketName + "/" + key;
        byte[] bytes;
        try (var in = s3.get().getObject(b -> b.bucket(bucketName).key(key))) {
            Long length = in.response().contentLength();
            if (length != null && length > maxBytes) {
                in.abort();
                throw new IllegalArgumentException(what + ": " + where + " is " + length + " bytes; a list object may be at most "
                        + maxBytes);
            }
            bytes = in.readAllBytes();
        } catch (NoSuchKeyException | NoSuchBucketException gone) {
            throw new Gone(what + ": there is no object " + where);
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            throw new IllegalArgumentException(what + ": reading " + where + " was refused (HTTP " + e.statusCode() + " "
                    + e.awsErrorDetails().errorCode() + ")");
        } catch (java.io.IOException e) {
            throw new IllegalStateException(what + ": reading " + where + " failed (" + e + "); a retry may succeed", e);
        }
        try {
            return Json.parse(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(what + ": " + where + " is not JSON (" + Names.shorten(String.valueOf(e.getMessage())) + ")");
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** A plugin's read: the presigned link, no S3 permission needed (its role has none on the bucket). */
    private static byte[] fetch(Outputs.Ref ref, String what) {
        HttpResponse<byte[]> r;
        try {
            r = HTTP.send(HttpRequest.newBuilder(URI.create(ref.url())).timeout(Duration.ofSeconds(60)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(what + ": reading its payload object s3://" + ref.bucket() + "/" + ref.key()
                    + " failed (" + e + "); a retry may succeed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + ": interrupted while reading its payload object", e);
        }
        if (r.statusCode() == 404 || r.statusCode() == 403) {
            throw new Gone(what + ": its payload object s3://" + ref.bucket() + "/" + ref.key() + " is gone (expired with the"
                    + " run's retention, or deleted) or its link expired (HTTP " + r.statusCode() + "; links live "
                    + EnvNames.PAYLOAD_URL_SECONDS + ")");
        }
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException(what + ": reading its payload object s3://" + ref.bucket() + "/" + ref.key()
                    + " answered HTTP " + r.statusCode() + "; a retry may succeed");
        }
        return r.body();
    }

    /** The value of a wire output ({@code {"output":...}} or {@code {"outputRef":...}}). */
    public JsonNode resolve(JsonNode wire, String what) {
        if (wire.has(Outputs.OUTPUT)) {
            return wire.get(Outputs.OUTPUT);
        }
        if (wire.has(Outputs.OUTPUT_REF)) {
            return get(Outputs.Ref.fromJson(wire.get(Outputs.OUTPUT_REF), what), what);
        }
        throw new IllegalArgumentException(what + " has neither 'output' nor 'outputRef'"
                + (wire.has("invalid") ? ": " + wire.get("invalid").asText() : ""));
    }
}
