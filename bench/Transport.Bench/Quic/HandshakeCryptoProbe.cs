using System.Globalization;
using System.Security.Cryptography;
using Transport.Quic.Tls;
using BcX25519 = Org.BouncyCastle.Math.EC.Rfc7748.X25519;

namespace Transport.Bench.Quic;

/// <summary>
/// <c>dotnet run -c Release --project bench/Transport.Bench -- hsprims [count]</c>: nanoseconds of CPU (this thread's
/// clock) per call of each cryptographic operation a QUIC handshake makes, measured in the same process one after the
/// other: X25519 (ours and BouncyCastle's), HKDF/HMAC/SHA-256 through the framework, AES key setup, ECDSA. Rounds
/// alternate between the candidates so that a noisy neighbour hits both alike; the median round is printed.
/// </summary>
internal static class HandshakeCryptoProbe
{
    public static int Run(string[] args)
    {
        if (args.Length > 1 && args[0] == "cold") return Cold(args[1] == "bc");
        int count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2000;
        byte[] k = RandomNumberGenerator.GetBytes(32);
        byte[] u = new byte[32];
        BcX25519.ScalarMultBase(RandomNumberGenerator.GetBytes(32), 0, u, 0);
        byte[] r = new byte[32];
        long t0 = ThreadCpuClock.NowNanoseconds();
        X25519.ScalarMultBase(k, r);
        Console.WriteLine($"first X25519.ScalarMultBase (ours, builds its table): {(ThreadCpuClock.NowNanoseconds() - t0) / 1e6:F2} ms CPU");
        t0 = ThreadCpuClock.NowNanoseconds();
        BcX25519.ScalarMultBase(k, 0, r, 0);
        Console.WriteLine($"first BouncyCastle X25519.ScalarMultBase (builds its table): {(ThreadCpuClock.NowNanoseconds() - t0) / 1e6:F2} ms CPU");
        byte[] prk = RandomNumberGenerator.GetBytes(32);
        byte[] info = RandomNumberGenerator.GetBytes(20);
        byte[] okm = new byte[32];
        byte[] key16 = RandomNumberGenerator.GetBytes(16);
        byte[] info32 = RandomNumberGenerator.GetBytes(32);
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] hash = SHA256.HashData(info);
        byte[] sig = ecdsa.SignHash(hash);
        using var reused = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, prk);
        var ops = new (string Name, Action Op)[]
        {
            ("X25519 ScalarMult (ours)", () => X25519.ScalarMult(k, u, r)),
            ("X25519 ScalarMult (BouncyCastle)", () => BcX25519.ScalarMult(k, 0, u, 0, r, 0)),
            ("X25519 ScalarMultBase (ours, Edwards table)", () => X25519.ScalarMultBase(k, r)),
            ("X25519 ScalarMultBase (ours, ladder)", () => X25519.ScalarMultBaseLadder(k, r)),
            ("X25519 ScalarMultBase (BouncyCastle)", () => BcX25519.ScalarMultBase(k, 0, r, 0)),
            ("HKDF.Expand SHA-256, 32 B", () => HKDF.Expand(HashAlgorithmName.SHA256, prk, okm, info)),
            ("3x HKDF.Expand (key, iv, hp)", () => { HKDF.Expand(HashAlgorithmName.SHA256, prk, okm, info); HKDF.Expand(HashAlgorithmName.SHA256, prk, okm, info); HKDF.Expand(HashAlgorithmName.SHA256, prk, okm, info); }),
            ("3x HMAC via one IncrementalHash", () =>
            {
                using var h = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, prk);
                for (int i = 0; i < 3; i++) { h.AppendData(info); h.GetHashAndReset(okm); }
            }),
            ("IncrementalHash.CreateHMAC + Dispose", () => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, prk).Dispose()),
            ("IncrementalHash HMAC append + GetHashAndReset", () => { reused.AppendData(info); reused.GetHashAndReset(okm); }),
            ("HKDF.Extract SHA-256", () => HKDF.Extract(HashAlgorithmName.SHA256, prk, info, okm)),
            ("HMACSHA256.HashData", () => HMACSHA256.HashData(prk, info, okm)),
            ("SHA256.HashData (20 B)", () => SHA256.HashData(info, okm)),
            ("new AesGcm(16 B key) + Dispose", () => new AesGcm(key16, 16).Dispose()),
            ("Aes.Create + Key + EncryptEcb", () => { using var a = Aes.Create(); a.Key = key16; a.EncryptEcb(key16, okm.AsSpan(0, 16), PaddingMode.None); }),
            ("ECDSA P-256 SignHash", () => ecdsa.SignHash(hash)),
            ("ECDSA P-256 VerifyHash", () => ecdsa.VerifyHash(hash, sig)),
            ("RandomNumberGenerator.GetBytes(32)", () => RandomNumberGenerator.Fill(okm)),
            ("RandomNumberGenerator.Fill(16 B)", () => RandomNumberGenerator.Fill(okm.AsSpan(0, 16))),
            ("SecureRandom.Fill(16 B) (buffered)", () => Transport.Core.Security.SecureRandom.Fill(okm.AsSpan(0, 16))),
            ("Aes.Create + Key + CreateEncryptor (ECB)", () =>
            {
                using var a = Aes.Create(); a.Key = key16; a.Mode = CipherMode.ECB; a.Padding = PaddingMode.None;
                a.CreateEncryptor().Dispose();
            }),
            ("Aes.Create + CreateEncryptor(key, null) (ECB)", () =>
            {
                using var a = Aes.Create(); a.Mode = CipherMode.ECB; a.Padding = PaddingMode.None;
                a.CreateEncryptor(key16, null).Dispose();
            }),
            ("PacketProtection.Create (AES-128) + Dispose", () => Transport.Quic.Crypto.PacketProtection.Create(Transport.Quic.CipherSuite.Aes128GcmSha256, prk).Dispose()),
            ("OneRttKeys.Create (AES-128) + Dispose", () => Transport.Quic.Crypto.OneRttKeys.Create(Transport.Quic.CipherSuite.Aes128GcmSha256, prk, info32).Dispose()),
        };
        const int Rounds = 7;
        var samples = new double[ops.Length][];
        for (int j = 0; j < ops.Length; j++)
        {
            samples[j] = new double[Rounds];
            for (int i = 0; i < 200; i++) ops[j].Op();
        }
        int per = Math.Max(1, count / Rounds);
        for (int round = 0; round < Rounds; round++)
        {
            for (int j = 0; j < ops.Length; j++)
            {
                Action op = ops[j].Op;
                long t = ThreadCpuClock.NowNanoseconds();
                for (int i = 0; i < per; i++) op();
                samples[j][round] = (double)(ThreadCpuClock.NowNanoseconds() - t) / per;
            }
        }
        Console.WriteLine($"ns of CPU per call (median of {Rounds} rounds of {per}):");
        for (int j = 0; j < ops.Length; j++)
        {
            Array.Sort(samples[j]);
            Console.WriteLine($"  {ops[j].Name,-40} {samples[j][Rounds / 2],10:F0}");
        }
        return 0;
    }

    /// <summary>
    /// <c>hsprims cold ours|bc</c>: CPU of the first x25519 key pair and agreement in a fresh process (JIT, tables),
    /// i.e. what the first handshake of a process pays once.
    /// </summary>
    private static int Cold(bool bouncyCastle)
    {
        byte[] a = RandomNumberGenerator.GetBytes(32);
        byte[] b = RandomNumberGenerator.GetBytes(32);
        byte[] pa = new byte[32], pb = new byte[32], s1 = new byte[32];
        long t0 = ThreadCpuClock.NowNanoseconds();
        if (bouncyCastle)
        {
            BcX25519.GeneratePublicKey(a, 0, pa, 0);
            BcX25519.GeneratePublicKey(b, 0, pb, 0);
            BcX25519.CalculateAgreement(a, 0, pb, 0, s1, 0);
        }
        else
        {
            X25519.ScalarMultBase(a, pa);
            X25519.ScalarMultBase(b, pb);
            X25519.ScalarMult(a, pb, s1);
        }
        Console.WriteLine($"{(bouncyCastle ? "BouncyCastle" : "ours")}: first two x25519 public keys and one agreement in this process: {(ThreadCpuClock.NowNanoseconds() - t0) / 1e6:F2} ms CPU");
        return 0;
    }
}
