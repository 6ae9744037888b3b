using FsCheck;
using FsCheck.Fluent;
using Transport.Interop.Http3;

namespace Transport.Interop.Tests;

public class PrefixedIntegerTests
{
    // RFC 7541 C.1.1-C.1.3.
    [Theory]
    [InlineData(10UL, 5, "0a")]
    [InlineData(1337UL, 5, "1f9a0a")]
    [InlineData(42UL, 8, "2a")]
    [InlineData(31UL, 5, "1f00")]
    [InlineData(30UL, 5, "1e")]
    [InlineData(0UL, 1, "00")]
    [InlineData(1UL, 1, "0100")]
    public void Vectors(ulong value, int prefix, string hex)
    {
        var buf = new byte[16];
        Assert.True(PrefixedInteger.TryWrite(buf, value, prefix, 0, out int n));
        Assert.Equal(hex, Hex.Of(buf.AsSpan(0, n)));
        Assert.Equal(n, PrefixedInteger.GetLength(value, prefix));
        Assert.True(PrefixedInteger.TryRead(buf.AsSpan(0, n), prefix, out ulong back, out int m));
        Assert.Equal(value, back);
        Assert.Equal(n, m);
    }

    [Fact]
    public void FlagsAbovePrefixArePreservedAndIgnored()
    {
        var buf = new byte[16];
        Assert.True(PrefixedInteger.TryWrite(buf, 1337, 5, 0xE0, out int n));
        Assert.Equal("ff9a0a", Hex.Of(buf.AsSpan(0, n)));
        Assert.True(PrefixedInteger.TryRead(buf.AsSpan(0, n), 5, out ulong v, out _));
        Assert.Equal(1337UL, v);
    }

    [Fact]
    public void RoundTrips()
    {
        var gen = from prefix in Gen.Choose(1, 8)
                  from bits in Gen.Choose(0, 62)
                  from raw in ArbMap.Default.GeneratorFor<ulong>()
                  select (prefix, value: bits == 0 ? 0UL : raw >> (64 - bits));
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var buf = new byte[16];
            bool ok = PrefixedInteger.TryWrite(buf, t.value, t.prefix, 0, out int n);
            ok &= PrefixedInteger.TryRead(buf.AsSpan(0, n), t.prefix, out ulong back, out int m);
            // Every strict prefix of the encoding is "truncated".
            for (int k = 0; k < n; k++) ok &= !PrefixedInteger.TryRead(buf.AsSpan(0, k), t.prefix, out _, out _);
            return ok && back == t.value && m == n;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void TruncatedIsFalse()
    {
        Assert.False(PrefixedInteger.TryRead(Hex.Parse("1f9a"), 5, out _, out _));
        Assert.False(PrefixedInteger.TryRead(ReadOnlySpan<byte>.Empty, 5, out _, out _));
    }

    [Fact]
    public void OversizeIsQpackError()
    {
        var e = Assert.Throws<Http3Exception>(() => PrefixedInteger.TryRead(Hex.Parse("1fffffffffffffffffffff01"), 5, out _, out _));
        Assert.Equal(Http3ErrorCode.QpackDecompressionFailed, e.ErrorCode);
        // 2^62 exactly: one over the limit.
        var buf = new byte[16];
        Assert.Throws<ArgumentOutOfRangeException>(() => PrefixedInteger.TryWrite(buf, 1UL << 62, 5, 0, out _));
    }

    [Fact]
    public void BadPrefixIsArgumentError()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PrefixedInteger.GetLength(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PrefixedInteger.GetLength(1, 9));
    }
}
