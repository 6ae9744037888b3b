using FsCheck;
using FsCheck.Fluent;
using Transport.Quic.Tls;
using BcX25519 = Org.BouncyCastle.Math.EC.Rfc7748.X25519;

namespace Transport.Quic.Tests.Tls;

/// <summary>Our X25519 (RFC 7748 §5) against the RFC's known answers and against BouncyCastle's implementation.</summary>
public class X25519Tests
{
    private static byte[] H(string hex) => Convert.FromHexString(hex);

    private static byte[] Mult(byte[] k, byte[] u)
    {
        var r = new byte[32];
        X25519.ScalarMult(k, u, r);
        return r;
    }

    // RFC 7748 §5.2, the two single-call vectors.
    [Theory]
    [InlineData("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4", "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
        "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")]
    [InlineData("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d", "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
        "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")]
    public void Rfc7748_Section5_2_Vectors(string scalar, string u, string expected)
    {
        Assert.Equal(H(expected), Mult(H(scalar), H(u)));
    }

    // RFC 7748 §5.2: k = u = 9; each round (k, u) = (X25519(k, u), k); after 1 and after 1,000 rounds.
    [Fact]
    public void Rfc7748_Section5_2_Iterations()
    {
        byte[] k = new byte[32];
        byte[] u = new byte[32];
        k[0] = 9;
        u[0] = 9;
        for (int i = 1; i <= 1000; i++)
        {
            byte[] next = Mult(k, u);
            u = k;
            k = next;
            if (i == 1) Assert.Equal(H("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"), k);
        }
        Assert.Equal(H("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"), k);
    }

    // RFC 7748 §6.1.
    [Fact]
    public void Rfc7748_Section6_1_DiffieHellman()
    {
        byte[] a = H("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] b = H("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        var publicA = new byte[32];
        var publicB = new byte[32];
        X25519.ScalarMultBase(a, publicA);
        X25519.ScalarMultBase(b, publicB);
        Assert.Equal(H("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"), publicA);
        Assert.Equal(H("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"), publicB);
        byte[] shared = H("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        var k1 = new byte[32];
        var k2 = new byte[32];
        Assert.True(X25519.ScalarMult(a, publicB, k1));
        Assert.True(X25519.ScalarMult(b, publicA, k2));
        Assert.Equal(shared, k1);
        Assert.Equal(shared, k2);
    }

    [Fact]
    public void SmallOrderPoints_GiveAllZeros_AndReturnFalse()
    {
        byte[] k = H("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
        // u = 0, u = 1, and p (= 0 non-canonically) are of small order.
        string[] points =
        [
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ];
        foreach (string p in points)
        {
            var r = new byte[32];
            Assert.False(X25519.ScalarMult(k, H(p), r));
            Assert.Equal(new byte[32], r);
        }
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")]
    [InlineData("8888888888888888888888888888888888888888888888888888888888888888")]
    [InlineData("7777777777777777777777777777777777777777777777777777777777777777")]
    [InlineData("f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0")]
    public void ScalarMultBase_EdgeScalars_MatchTheLadder(string scalar)
    {
        // Digits at the ends of the signed radix-16 range (8 and -8 after recoding, carries through every digit).
        var fixedBase = new byte[32];
        var ladder = new byte[32];
        X25519.ScalarMultBase(H(scalar), fixedBase);
        X25519.ScalarMultBaseLadder(H(scalar), ladder);
        Assert.Equal(ladder, fixedBase);
    }

    [Fact]
    public void BadLengths_Throw()
    {
        Assert.Throws<ArgumentException>(() => X25519.ScalarMult(new byte[31], new byte[32], new byte[32]));
        Assert.Throws<ArgumentException>(() => X25519.ScalarMult(new byte[32], new byte[33], new byte[32]));
        Assert.Throws<ArgumentException>(() => X25519.ScalarMult(new byte[32], new byte[32], new byte[31]));
        Assert.Throws<ArgumentException>(() => X25519.ScalarMultBase(new byte[32], new byte[31]));
    }

    /// <summary>
    /// Points: random bytes (top bit set half the time, so it must be ignored), and values near the edges of the field
    /// encoding: at or above p (non-canonical), all ones, small values, with random low bytes.
    /// </summary>
    private static readonly Gen<byte[]> Point =
        from seed in Gen.Choose(0, int.MaxValue)
        from kind in Gen.Choose(0, 5)
        select MakePoint(seed, kind);

    private static byte[] MakePoint(int seed, int kind)
    {
        var rng = new Random(seed);
        var u = new byte[32];
        rng.NextBytes(u);
        switch (kind)
        {
            case 1: // p .. 2^255 - 1 and the same with the top bit set.
                u.AsSpan(1).Fill(0xff);
                u[0] = (byte)(0xed + rng.Next(0x13));
                if (rng.Next(2) == 0) u[31] = 0x7f;
                break;
            case 2: // small values
                u.AsSpan(2).Clear();
                break;
            case 3: // limbs at their maxima in some positions
                for (int i = 0; i < 32; i++) if (rng.Next(3) != 0) u[i] = 0xff;
                break;
        }
        return u;
    }

    [Fact]
    public void ScalarMult_MatchesBouncyCastle()
    {
        Gen<(byte[] K, byte[] U)> gen =
            from k in TestGen.Bytes(32, 32)
            from u in Point
            select (k, u);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var ours = new byte[32];
            var theirs = new byte[32];
            bool ok = X25519.ScalarMult(t.K, t.U, ours);
            BcX25519.ScalarMult(t.K, 0, t.U, 0, theirs, 0);
            return ours.AsSpan().SequenceEqual(theirs) && ok == theirs.AsSpan().ContainsAnyExcept((byte)0);
        }));
    }

    [Fact]
    public void ScalarMultBase_MatchesBouncyCastle()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), Prop.ForAll(TestGen.Bytes(32, 32).ToArbitrary(), k =>
        {
            var ours = new byte[32];
            var theirs = new byte[32];
            var ladder = new byte[32];
            X25519.ScalarMultBase(k, ours);
            BcX25519.ScalarMultBase(k, 0, theirs, 0);
            X25519.ScalarMultBaseLadder(k, ladder);
            return ours.AsSpan().SequenceEqual(theirs) && ladder.AsSpan().SequenceEqual(theirs);
        }));
    }
}
