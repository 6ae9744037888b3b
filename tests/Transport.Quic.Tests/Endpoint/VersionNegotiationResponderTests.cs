using FsCheck;
using FsCheck.Fluent;
using Transport.Quic.Endpoint;
using Transport.Quic.Packets;

namespace Transport.Quic.Tests.Endpoint;

public class VersionNegotiationResponderTests
{
    private static readonly VersionNegotiationResponder V1Only = new(new uint[] { QuicVersion.Version1 });

    private static byte[] LongHeader(uint version, byte[] dcid, byte[] scid, int length, byte first = 0xc0)
    {
        var d = new byte[length];
        d[0] = first;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(1), version);
        d[5] = (byte)dcid.Length;
        dcid.CopyTo(d, 6);
        d[6 + dcid.Length] = (byte)scid.Length;
        scid.CopyTo(d, 7 + dcid.Length);
        return d;
    }

    [Fact]
    public void Interop_runner_probe_gets_a_version_negotiation_listing_version_1()
    {
        // c0 57 41 49 54 00 00 + 1200 zero bytes: version "WAIT", empty connection IDs, 1207 bytes.
        byte[] probe = new byte[1207];
        Convert.FromHexString("c057414954000000").AsSpan(0, 7).CopyTo(probe);
        foreach (var responder in new[] { V1Only, new VersionNegotiationResponder(new uint[] { QuicVersion.Version1 }, includeReservedVersion: false) })
        {
            byte[] reply = new byte[responder.MaximumPacketLength];
            Assert.Equal(VersionNegotiationOutcome.Send, responder.TryWrite(probe, reply, out int n));
            Assert.Equal(0x80, reply[0] & 0x80);
            Assert.Equal(new byte[4], reply.AsSpan(1, 4).ToArray()); // bytes 1..4: version 0
            Assert.Equal(0, reply[5]); // empty DCID
            Assert.Equal(0, reply[6]); // empty SCID
            Assert.True(VersionNegotiationPacket.TryParse(reply.AsSpan(0, n), out var vn));
            Assert.True(vn.Contains(QuicVersion.Version1));
            Assert.Equal(responder.IncludeReservedVersion ? 2 : 1, vn.VersionCount);
            Assert.Equal(VersionNegotiationPacket.GetLength(0, 0, vn.VersionCount), n);
            if (responder.IncludeReservedVersion)
            {
                Assert.True(QuicVersion.IsReservedForNegotiation(vn.GetVersion(0)));
                Assert.Equal(QuicVersion.Version1, vn.GetVersion(1));
            }
        }
    }

    [Fact]
    public void Connection_ids_are_echoed_swapped_including_long_ones()
    {
        byte[] dcid = TestGen.RandomBytes(1, 255), scid = TestGen.RandomBytes(2, 40);
        byte[] datagram = LongHeader(0xff00001d, dcid, scid, 1300);
        byte[] reply = new byte[V1Only.MaximumPacketLength];
        Assert.Equal(VersionNegotiationOutcome.Send, V1Only.TryWrite(datagram, reply, out int n));
        Assert.True(VersionNegotiationPacket.TryParse(reply.AsSpan(0, n), out var vn));
        Assert.Equal(scid, vn.DestinationConnectionId.ToArray());
        Assert.Equal(dcid, vn.SourceConnectionId.ToArray());
    }

    [Fact]
    public void First_byte_is_random_with_the_form_bit_set()
    {
        byte[] datagram = LongHeader(0x1a2a3a4a, new byte[8], new byte[8], 1200);
        var seen = new HashSet<byte>();
        byte[] reply = new byte[200];
        for (int i = 0; i < 64; i++)
        {
            Assert.Equal(VersionNegotiationOutcome.Send, V1Only.TryWrite(datagram, reply, out _));
            Assert.Equal(0xc0, reply[0] & 0xc0);
            seen.Add(reply[0]);
        }
        Assert.True(seen.Count > 8, $"only {seen.Count} distinct first bytes in 64 packets");
    }

    [Fact]
    public void Decisions_for_what_must_not_be_answered()
    {
        byte[] reply = new byte[600];
        // Supported version: route it.
        Assert.Equal(VersionNegotiationOutcome.Supported, V1Only.TryWrite(LongHeader(1, new byte[8], new byte[8], 1200), reply, out int n));
        Assert.Equal(0, n);
        // A Version Negotiation packet is never answered (RFC 9000 §6.1), even a large one.
        Assert.Equal(VersionNegotiationOutcome.IsVersionNegotiation, V1Only.TryWrite(LongHeader(0, new byte[8], new byte[8], 1300, 0x80), reply, out _));
        // Unsupported version, but under 1200 bytes: dropped (RFC 9000 §5.2.2).
        Assert.Equal(VersionNegotiationOutcome.TooSmall, V1Only.TryWrite(LongHeader(0x57414954, new byte[0], new byte[0], 1199), reply, out _));
        // A supported version is not "too small": the endpoint decides about small Initials itself.
        Assert.Equal(VersionNegotiationOutcome.Supported, V1Only.TryWrite(LongHeader(1, new byte[8], new byte[8], 100), reply, out _));
        // Short header, truncated header, empty datagram.
        Assert.Equal(VersionNegotiationOutcome.NotLongHeader, V1Only.TryWrite(new byte[1300], reply, out _));
        Assert.Equal(VersionNegotiationOutcome.Malformed, V1Only.TryWrite(new byte[] { 0xc0, 0, 0, 0, 2, 20, 1 }, reply, out _));
        Assert.Equal(VersionNegotiationOutcome.Malformed, V1Only.TryWrite(ReadOnlySpan<byte>.Empty, reply, out _));
        // Destination too small.
        Assert.Equal(VersionNegotiationOutcome.BufferTooSmall, V1Only.TryWrite(LongHeader(7, new byte[8], new byte[8], 1200), new byte[20], out _));
    }

    [Fact]
    public void Version_2_can_be_listed_and_is_then_supported()
    {
        var both = new VersionNegotiationResponder(new[] { QuicVersion.Version1, QuicVersion.Version2 }, includeReservedVersion: false);
        Assert.True(both.IsSupported(QuicVersion.Version2));
        byte[] reply = new byte[100];
        Assert.Equal(VersionNegotiationOutcome.Supported, both.TryWrite(LongHeader(QuicVersion.Version2, new byte[8], new byte[8], 1200), reply, out _));
        Assert.Equal(VersionNegotiationOutcome.Send, both.TryWrite(LongHeader(0xbabababa, new byte[8], new byte[8], 1200), reply, out int n));
        Assert.True(VersionNegotiationPacket.TryParse(reply.AsSpan(0, n), out var vn));
        Assert.Equal(new[] { QuicVersion.Version1, QuicVersion.Version2 }, new[] { vn.GetVersion(0), vn.GetVersion(1) });
    }

    [Fact]
    public void Bad_arguments_throw()
    {
        Assert.Throws<ArgumentException>(() => new VersionNegotiationResponder(ReadOnlySpan<uint>.Empty));
        Assert.Throws<ArgumentException>(() => new VersionNegotiationResponder(new uint[] { 0 }));
        Assert.Throws<ArgumentException>(() => new VersionNegotiationResponder(new uint[] { 0x1a2a3a4a }));
    }

    [Fact]
    public void Property_random_datagrams_never_throw_and_answers_parse()
    {
        byte[] reply = new byte[V1Only.MaximumPacketLength];
        TestGen.Check(
            from bytes in TestGen.Bytes(0, 1400)
            from first in Gen.Elements<byte>(0x80, 0xc0, 0xff, 0x40, 0x00)
            from version in Gen.Elements<uint>(0, 1, 0x57414954, 0xff00001d)
            select (bytes, first, version),
            c =>
            {
                byte[] d = c.bytes;
                if (d.Length > 0) d[0] = c.first;
                if (d.Length >= 5) System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(1), c.version);
                var outcome = V1Only.TryWrite(d, reply, out int n);
                if (outcome != VersionNegotiationOutcome.Send) return n == 0;
                return d.Length >= 1200 && c.version is not (0 or 1)
                    && VersionNegotiationPacket.TryParse(reply.AsSpan(0, n), out var vn) && vn.Contains(1);
            }, 300);
    }
}
