using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Wire;
using Transport.Quic.Endpoint;
using Transport.Tests.Shared;

namespace Transport.Quic.Tests.Endpoint;

public class ConnectionIdRouterTests
{
    private static readonly IPEndPoint ClientA = new(IPAddress.Parse("192.0.2.1"), 5000);
    private static readonly IPEndPoint ClientB = new(IPAddress.Parse("192.0.2.2"), 5000);

    private static byte[] Short(ConnectionId dcid, int length = 40)
    {
        var d = new byte[length];
        d[0] = 0x41;
        dcid.CopyTo(d.AsSpan(1));
        return d;
    }

    private static byte[] Long(ConnectionId dcid, ConnectionId scid, int length = 1200, uint version = 1)
    {
        var d = new byte[length];
        d[0] = 0xc3;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(1), version);
        d[5] = (byte)dcid.Length;
        dcid.CopyTo(d.AsSpan(6));
        d[6 + dcid.Length] = (byte)scid.Length;
        scid.CopyTo(d.AsSpan(7 + dcid.Length));
        return d;
    }

    [Fact]
    public void Issued_ids_route_short_and_long_headers_and_removal_stops_it()
    {
        var router = new ConnectionIdRouter<string>(8);
        ConnectionId a = router.IssueConnectionId("A"), b = router.IssueConnectionId("B");
        Assert.Equal(8, a.Length);
        Assert.NotEqual(a, b);
        Assert.Equal(2, router.Count);

        Assert.True(router.TryRoute(Short(a), ClientA, out string? h));
        Assert.Equal("A", h);
        Assert.True(router.TryRoute(Short(b), ClientB.Serialize(), out h));
        Assert.Equal("B", h);
        Assert.True(router.TryRoute(Long(a, ConnectionId.NewRandom(5)), ClientA, out h)); // Handshake packet to the server's ID
        Assert.Equal("A", h);
        Assert.True(router.TryGet(a, out h));
        Assert.Equal("A", h);

        // Retire: the ID stops routing; the other stays.
        Assert.True(router.Remove(a));
        Assert.False(router.Remove(a));
        Assert.False(router.TryRoute(Short(a), ClientA, out _));
        Assert.True(router.TryRoute(Short(b), ClientA, out _));
    }

    [Fact]
    public void Short_header_dcid_is_the_configured_length_after_the_first_byte()
    {
        var router = new ConnectionIdRouter<int>(4);
        var id = new ConnectionId(new byte[] { 9, 8, 7, 6 });
        Assert.True(router.TryAdd(id, 1));
        Assert.False(router.TryAdd(id, 2));
        byte[] d = Short(id, 30);
        d[5] = 0xee; // bytes after the ID are packet number and payload
        Assert.True(router.TryGetDestinationConnectionId(d, out ConnectionId dcid, out bool isLong));
        Assert.False(isLong);
        Assert.Equal(id, dcid);
        Assert.True(router.TryRoute(d, ClientA, out int h));
        Assert.Equal(1, h);
        Assert.False(router.TryRoute(d.AsSpan(0, 4), ClientA, out _)); // too short for the ID
        Assert.False(router.TryRoute(ReadOnlySpan<byte>.Empty, ClientA, out _));
        Assert.Throws<ArgumentException>(() => router.TryAdd(ConnectionId.NewRandom(8), 3));
    }

    [Fact]
    public void Initial_entries_route_by_address_and_client_chosen_dcid()
    {
        var router = new ConnectionIdRouter<string>(8);
        var odcid = ConnectionId.NewRandom(12);
        Assert.True(router.TryAddInitial(ClientA.Serialize(), odcid, "A"));
        Assert.False(router.TryAddInitial(ClientA, odcid, "again"));
        Assert.Equal(1, router.InitialCount);

        Assert.True(router.TryRoute(Long(odcid, ConnectionId.NewRandom(8)), ClientA, out string? h));
        Assert.Equal("A", h);
        // The same address as IPv4-mapped IPv6 from a dual-mode socket.
        Assert.True(router.TryRoute(Long(odcid, ConnectionId.NewRandom(8)), new IPEndPoint(ClientA.Address.MapToIPv6(), ClientA.Port).Serialize(), out h));
        // Another client using the same DCID is another connection; another port too.
        Assert.False(router.TryRoute(Long(odcid, ConnectionId.Empty), ClientB, out _));
        Assert.False(router.TryRoute(Long(odcid, ConnectionId.Empty), new IPEndPoint(ClientA.Address, 5001), out _));
        // Short headers never use the initial map.
        var shortOdcid = ConnectionId.NewRandom(8);
        router.TryAddInitial(ClientA, shortOdcid, "S");
        Assert.False(router.TryRoute(Short(shortOdcid), ClientA, out _));

        Assert.True(router.RemoveInitial(ClientA, odcid));
        Assert.False(router.RemoveInitial(ClientA.Serialize(), odcid));
        Assert.False(router.TryRoute(Long(odcid, ConnectionId.Empty), ClientA, out _));
    }

    [Fact]
    public void Long_headers_with_oversized_or_truncated_ids_do_not_route()
    {
        var router = new ConnectionIdRouter<int>(8);
        byte[] d = new byte[1200];
        d[0] = 0xc0;
        d[4] = 1;
        d[5] = 21; // a 21-byte DCID: not QUIC v1
        Assert.False(router.TryGetDestinationConnectionId(d, out _, out _));
        Assert.False(router.TryRoute(d, ClientA, out _));
        d[5] = 200;
        Assert.False(router.TryRoute(d.AsSpan(0, 100), ClientA, out _));
    }

    [Fact]
    public void Lookups_allocate_nothing()
    {
        var router = new ConnectionIdRouter<object>(8);
        var handle = new object();
        ConnectionId id = router.IssueConnectionId(handle);
        var odcid = ConnectionId.NewRandom(8);
        SocketAddress remote = ClientA.Serialize();
        router.TryAddInitial(remote, odcid, handle);
        byte[] shortPacket = Short(id), longPacket = Long(odcid, ConnectionId.NewRandom(8));
        bool all = true;
        long allocated = AllocationMeter.MinimumAllocatedPerAttempt(() =>
        {
            all &= router.TryRoute(shortPacket, remote, out _);
            all &= router.TryRoute(longPacket, remote, out _);
        }, warmupRounds: 1000, measuredRounds: 1000);
        Assert.True(all);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Property_every_issued_id_routes_to_its_handle_until_removed()
    {
        TestGen.Check(
            from length in Gen.Choose(1, 20)
            from count in Gen.Choose(1, 60)
            from removeMask in Gen.Choose(0, int.MaxValue)
            select (length, count, removeMask),
            c =>
            {
                var router = new ConnectionIdRouter<int>(c.length);
                var ids = new ConnectionId[c.count];
                for (int i = 0; i < c.count; i++) ids[i] = router.IssueConnectionId(i);
                for (int i = 0; i < c.count; i++) if ((c.removeMask >> (i % 31) & 1) == 1) router.Remove(ids[i]);
                for (int i = 0; i < c.count; i++)
                {
                    bool removed = (c.removeMask >> (i % 31) & 1) == 1;
                    bool routed = router.TryRoute(Short(ids[i], 1 + c.length + 20), ClientA, out int h);
                    if (routed == removed || (routed && h != i) || ids[i].Length != c.length) return false;
                }
                return true;
            }, 200);
    }
}
