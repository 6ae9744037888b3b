using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Wire;

namespace Transport.Core.Tests.Wire;

public class ConnectionIdTests
{
    private static Arbitrary<byte[]> CidBytes =>
        Gen.Choose(0, ConnectionId.MaxLength).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 3).Select(b => (byte)b), n)).ToArbitrary();

    [Fact]
    public void EqualityAndHash_FollowTheBytes_Property()
    {
        Prop.ForAll(CidBytes, CidBytes, (a, b) =>
        {
            var x = new ConnectionId(a);
            var y = new ConnectionId(b);
            bool sameBytes = a.AsSpan().SequenceEqual(b);
            return x.Equals(y) == sameBytes
                && (x == y) == sameBytes
                && (!sameBytes || x.GetHashCode() == y.GetHashCode())
                && x.Length == a.Length
                && x.Span.SequenceEqual(a);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void LengthIsPartOfIdentity()
    {
        Assert.NotEqual(new ConnectionId([0]), new ConnectionId([0, 0]));
        Assert.NotEqual(ConnectionId.Empty, new ConnectionId([0]));
        Assert.Equal(ConnectionId.Empty, new ConnectionId([]));
    }

    [Fact]
    public void RoutesInADictionary()
    {
        var routes = new Dictionary<ConnectionId, int>();
        for (int i = 0; i < 1000; i++) routes[ConnectionId.NewRandom(8)] = i;
        Assert.Equal(1000, routes.Count); // 64 random bits: collisions are out of the question
        foreach (var (cid, i) in routes)
            Assert.Equal(i, routes[new ConnectionId(cid.ToArray())]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(20)]
    public void NewRandom_HasTheRequestedLength(int length)
    {
        var cid = ConnectionId.NewRandom(length);
        Assert.Equal(length, cid.Length);
        Assert.Equal(length * 2, cid.ToString().Length);
    }

    [Fact]
    public void TooLong_Throws()
    {
        Assert.Throws<ArgumentException>(() => new ConnectionId(new byte[21]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConnectionId.NewRandom(21));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConnectionId.NewRandom(-1));
    }

    [Fact]
    public void NewRandom_IsNotConstant()
    {
        Assert.NotEqual(ConnectionId.NewRandom(16), ConnectionId.NewRandom(16));
    }
}
