// BouncyCastle SM2/SM3 reference for bench/crypto (compiled at run time by bouncycastle.py).
//
// Usage: java BcBench <seconds> <min-warmup-seconds> <max-warmup-seconds>
//                     <peer-public-hex> <peer-message-hex> <peer-signature-hex>
// Prints one JSON object of rates per second of process CPU time: verify/s with a fresh
// key object per call and with one reused signer (its Z value and the key's precomputation
// kept), sign/s, SM3 MB/s at 64 B, 1 KiB and 16 KiB, and a correctness guard: whether BC
// accepts the peer's (our) signature, and a signature of BC's own for the peer to check.
// Default uid "1234567812345678"; raw r||s.

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Locale;

import org.bouncycastle.asn1.gm.GMNamedCurves;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.CryptoException;
import org.bouncycastle.crypto.digests.SM3Digest;
import org.bouncycastle.crypto.generators.ECKeyPairGenerator;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECKeyGenerationParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.ParametersWithID;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.crypto.signers.PlainDSAEncoding;
import org.bouncycastle.crypto.signers.SM2Signer;
import org.bouncycastle.util.encoders.Hex;

public final class BcBench {
    private static final byte[] UID = "1234567812345678".getBytes(StandardCharsets.US_ASCII);
    private static final ECDomainParameters DOMAIN =
            new ECDomainParameters(GMNamedCurves.getByName("sm2p256v1"));
    private static final SecureRandom RANDOM = new SecureRandom();
    // Distinct keys cycled through by the fresh-key verify, as the Python side does.
    private static final int KEYS = 256;
    private static final int MESSAGE_SIZE = 20;  // what `openssl speed sm2` signs
    private static int sink;  // digest bytes land here so the JIT cannot drop the work

    private interface Op {
        boolean run(int i) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        Timer timer = new Timer(Double.parseDouble(args[0]), Double.parseDouble(args[1]),
                Double.parseDouble(args[2]));
        byte[][] peer = {Hex.decode(args[3]), Hex.decode(args[4]), Hex.decode(args[5])};

        AsymmetricCipherKeyPair[] pairs = new AsymmetricCipherKeyPair[KEYS];
        byte[][] publics = new byte[KEYS][];
        byte[][] messages = new byte[KEYS][];
        byte[][] signatures = new byte[KEYS][];
        ECKeyPairGenerator generator = new ECKeyPairGenerator();
        generator.init(new ECKeyGenerationParameters(DOMAIN, RANDOM));
        for (int i = 0; i < KEYS; i++) {
            pairs[i] = generator.generateKeyPair();
            publics[i] = ((ECPublicKeyParameters) pairs[i].getPublic()).getQ().getEncoded(false);
            messages[i] = new byte[MESSAGE_SIZE];
            RANDOM.nextBytes(messages[i]);
            ECPrivateKeyParameters privateKey = (ECPrivateKeyParameters) pairs[i].getPrivate();
            signatures[i] = sign(signer(privateKey), messages[i]);
        }

        double fresh = timer.rate(i -> {
            int k = i % KEYS;
            ECPublicKeyParameters key =
                    new ECPublicKeyParameters(DOMAIN.getCurve().decodePoint(publics[k]), DOMAIN);
            return verify(verifier(key), messages[k], signatures[k]);
        });

        SM2Signer reusedVerifier = verifier((ECPublicKeyParameters) pairs[0].getPublic());
        double reused = timer.rate(i -> verify(reusedVerifier, messages[0], signatures[0]));

        SM2Signer reusedSigner = signer((ECPrivateKeyParameters) pairs[0].getPrivate());
        double signs = timer.rate(i -> sign(reusedSigner, messages[i % KEYS]).length == 64);

        StringBuilder sm3 = new StringBuilder();
        for (int size : new int[] {64, 1024, 16384}) {
            byte[] data = new byte[size];
            RANDOM.nextBytes(data);
            SM3Digest digest = new SM3Digest();
            byte[] out = new byte[32];
            double perSecond = timer.rate(i -> {
                digest.update(data, 0, size);
                digest.doFinal(out, 0);
                sink ^= out[0];
                return true;
            });
            String entry = String.format(Locale.ROOT, "\"%d\": %.3f", size, perSecond * size / 1e6);
            sm3.append(sm3.length() == 0 ? "" : ", ").append(entry);
        }

        boolean acceptsPeer = verify(
                verifier(new ECPublicKeyParameters(DOMAIN.getCurve().decodePoint(peer[0]), DOMAIN)),
                peer[1], peer[2]);
        System.out.println(String.format(Locale.ROOT,
                "{\"java\": \"%s\", \"verify_fresh\": %.1f, \"verify_reused\": %.1f, "
                        + "\"sign\": %.1f, \"sm3_mb_per_s\": {%s}, \"accepts_peer\": %b, "
                        + "\"public_key\": \"%s\", \"message\": \"%s\", \"signature\": \"%s\", "
                        + "\"sink\": %d}",
                System.getProperty("java.runtime.version"), fresh, reused, signs, sm3,
                acceptsPeer, Hex.toHexString(publics[0]), Hex.toHexString(messages[0]),
                Hex.toHexString(signatures[0]), sink));
    }

    private static SM2Signer verifier(ECPublicKeyParameters key) {
        SM2Signer verifier = new SM2Signer(PlainDSAEncoding.INSTANCE, new SM3Digest());
        verifier.init(false, new ParametersWithID(key, UID));
        return verifier;
    }

    private static SM2Signer signer(ECPrivateKeyParameters key) {
        SM2Signer signer = new SM2Signer(PlainDSAEncoding.INSTANCE, new SM3Digest());
        signer.init(true, new ParametersWithID(new ParametersWithRandom(key, RANDOM), UID));
        return signer;
    }

    // SM2Signer resets its digest (back to just Z) after each signature, so one signer
    // object serves any number of messages.
    private static boolean verify(SM2Signer verifier, byte[] message, byte[] signature) {
        verifier.update(message, 0, message.length);
        return verifier.verifySignature(signature);
    }

    private static byte[] sign(SM2Signer signer, byte[] message) throws CryptoException {
        signer.update(message, 0, message.length);
        return signer.generateSignature();
    }

    private record Timer(double seconds, double minWarmup, double maxWarmup) {
        // Warms op up (JIT) in short windows until two consecutive rates agree within 5%
        // (after at least minWarmup, at most maxWarmup seconds), then counts calls for
        // `seconds`; every call must report success, so no rate is measured over failures.
        double rate(Op op) throws Exception {
            double window = Math.min(0.5, maxWarmup);
            double warmed = window;
            double previous = measure(op, window);
            while (warmed < maxWarmup) {
                double current = measure(op, window);
                warmed += window;
                if (warmed >= minWarmup && Math.abs(current - previous) <= 0.05 * previous) {
                    break;
                }
                previous = current;
            }
            return measure(op, seconds);
        }

        // Calls per second of process CPU time (all threads, so the garbage collector's
        // work counts), the divisor `openssl speed` uses too; the clock is read after
        // chunks that double in size until they last 10 ms.
        private static double measure(Op op, double seconds) throws Exception {
            long start = cpuNanos();
            long limit = start + (long) (seconds * 1e9);
            long now = start;
            int calls = 0;
            int chunk = 1;
            do {
                long chunkStart = now;
                for (int k = 0; k < chunk; k++, calls++) {
                    if (!op.run(calls)) {
                        throw new IllegalStateException("an operation failed during timing");
                    }
                }
                now = cpuNanos();
                if (now - chunkStart < 10_000_000L) {
                    chunk *= 2;
                }
            } while (now < limit);
            return calls / ((now - start) / 1e9);
        }

        private static long cpuNanos() {
            return ((com.sun.management.OperatingSystemMXBean)
                    ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
        }
    }
}
