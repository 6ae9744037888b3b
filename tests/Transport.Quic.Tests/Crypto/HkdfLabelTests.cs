using System.Security.Cryptography;
using FsCheck;
using FsCheck.Fluent;
using Transport.Quic.Crypto;

namespace Transport.Quic.Tests.Crypto;

/// <summary>
/// HKDF-Expand-Label (RFC 8446 §7.1) against the framework's HKDF-Expand on the same HkdfLabel bytes, including runs of
/// expansions that alternate between secrets and hashes (the per-thread keyed-HMAC reuse must never mix them up).
/// </summary>
public class HkdfLabelTests
{
    private static byte[] Reference(HashAlgorithmName hash, byte[] secret, byte[] label, byte[] context, int length)
    {
        var info = new List<byte> { (byte)(length >> 8), (byte)length, (byte)(6 + label.Length) };
        info.AddRange("tls13 "u8.ToArray());
        info.AddRange(label);
        info.Add((byte)context.Length);
        info.AddRange(context);
        return HKDF.Expand(hash, secret, length, info.ToArray());
    }

    private sealed record Step(bool Sha384, int SecretIndex, byte[] Label, byte[] Context, int Length);

    [Fact]
    public void Expand_MatchesHkdfExpand_AcrossInterleavedSecretsAndHashes()
    {
        // Three secrets of each length, so consecutive steps often reuse a secret, often switch, sometimes switch hash
        // with the same bytes (a 48-byte secret is a valid SHA-256 PRK too).
        byte[][] secrets = [.. Enumerable.Range(0, 6).Select(i => TestGen.RandomBytes(i + 1, i < 3 ? 32 : 48))];
        Gen<Step> step =
            from sha384 in Gen.Elements(false, true)
            from index in Gen.Choose(0, 5)
            from label in TestGen.Bytes(1, 20)
            from context in TestGen.Bytes(0, 48)
            from length in Gen.Choose(1, 100)
            select new Step(sha384, index, label, context, length);
        TestGen.Check(step.ArrayOf(), steps =>
        {
            foreach (Step s in steps)
            {
                HashAlgorithmName hash = s.Sha384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;
                byte[] secret = secrets[s.SecretIndex];
                if (s.Sha384 && secret.Length < 48) secret = secrets[3 + s.SecretIndex % 3];
                var output = new byte[s.Length];
                HkdfLabel.Expand(hash, secret, s.Label, s.Context, output);
                if (!output.AsSpan().SequenceEqual(Reference(hash, secret, s.Label, s.Context, s.Length))) return false;
            }
            return true;
        }, maxTest: 200);
    }

    [Fact]
    public void Expand_SameSecretBytesInANewArray_GivesTheSameResult_AndAChangedSecretADifferentOne()
    {
        byte[] secret = TestGen.RandomBytes(7, 32);
        byte[] a = HkdfLabel.Expand(HashAlgorithmName.SHA256, secret, "quic key", [], 16);
        byte[] b = HkdfLabel.Expand(HashAlgorithmName.SHA256, (byte[])secret.Clone(), "quic key", [], 16);
        Assert.Equal(a, b);
        secret[31] ^= 1; // same array, changed contents: must not reuse the HMAC keyed with the old bytes
        byte[] c = HkdfLabel.Expand(HashAlgorithmName.SHA256, secret, "quic key", [], 16);
        Assert.NotEqual(a, c);
        Assert.Equal(Reference(HashAlgorithmName.SHA256, secret, "quic key"u8.ToArray(), [], 16), c);
    }
}
