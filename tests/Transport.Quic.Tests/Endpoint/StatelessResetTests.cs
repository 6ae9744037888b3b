using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Time;
using Transport.Core.Wire;
using Transport.Quic.Endpoint;
using Transport.Quic.Packets;

namespace Transport.Quic.Tests.Endpoint;

public class StatelessResetTests
{
    private static readonly byte[] KeyA = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] KeyB = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly IPEndPoint Peer = new(IPAddress.Parse("198.51.100.1"), 4433);

    private static byte[] ShortHeaderDatagram(ConnectionId dcid, int length, int seed = 3)
    {
        byte[] d = TestGen.RandomBytes(seed, length);
        d[0] = (byte)(0x40 | (d[0] & 0x3f));
        dcid.CopyTo(d.AsSpan(1));
        return d;
    }

    [Fact]
    public void Tokens_are_deterministic_per_key_and_connection_id_and_differ_across_keys_and_ids()
    {
        var a1 = new StatelessResetTokenGenerator(KeyA);
        var a2 = new StatelessResetTokenGenerator(KeyA);
        var b = new StatelessResetTokenGenerator(KeyB);
        var cid = new ConnectionId(Convert.FromHexString("0102030405060708"));
        var cid2 = new ConnectionId(Convert.FromHexString("0102030405060709"));
        Assert.Equal(a1.GetToken(cid).ToString(), a2.GetToken(cid).ToString());
        Assert.NotEqual(a1.GetToken(cid).ToString(), b.GetToken(cid).ToString());
        Assert.NotEqual(a1.GetToken(cid).ToString(), a1.GetToken(cid2).ToString());
        Assert.Equal(16, a1.GetToken(cid).Span.Length);
    }

    [Fact]
    public void Token_is_truncated_hmac_sha256_of_the_connection_id()
    {
        var g = new StatelessResetTokenGenerator(KeyA);
        byte[] cid = Convert.FromHexString("0102030405060708");
        byte[] expected = System.Security.Cryptography.HMACSHA256.HashData(KeyA, cid).AsSpan(0, 16).ToArray();
        Span<byte> token = stackalloc byte[16];
        g.WriteToken(cid, token);
        Assert.Equal(expected, token.ToArray());
    }

    [Fact]
    public void Property_tokens_are_deterministic_and_key_dependent()
    {
        TestGen.Check(
            from cid in TestGen.Bytes(0, 20)
            from k1 in TestGen.Bytes(32, 32)
            from k2 in TestGen.Bytes(32, 32)
            select (cid, k1, k2),
            c =>
            {
                var t1 = new StatelessResetTokenGenerator(c.k1).GetToken(new ConnectionId(c.cid));
                var t1b = new StatelessResetTokenGenerator(c.k1).GetToken(new ConnectionId(c.cid));
                var t2 = new StatelessResetTokenGenerator(c.k2).GetToken(new ConnectionId(c.cid));
                return t1.FixedTimeEquals(t1b.Span) && (c.k1.AsSpan().SequenceEqual(c.k2) || !t1.FixedTimeEquals(t2.Span));
            }, 100);
    }

    [Fact]
    public void A_reset_is_recognised_by_the_peer_and_is_smaller_than_its_trigger()
    {
        var gen = new StatelessResetTokenGenerator(KeyA);
        var responder = new StatelessResetResponder(gen, 8);
        var cid = new ConnectionId(Convert.FromHexString("a1a2a3a4a5a6a7a8"));
        foreach (int triggerLength in new[] { 29, 30, 43, 44, 45, 60, 100, 1200, 1500 })
        {
            byte[] trigger = ShortHeaderDatagram(cid, triggerLength);
            byte[] reset = new byte[1500];
            Assert.Equal(StatelessResetOutcome.Send, responder.TryWrite(Instant.Zero, trigger, Peer, reset, out int n));
            Assert.True(n < triggerLength, $"{n} < {triggerLength}");
            Assert.True(n >= StatelessResetPacket.MinimumLength);
            if (triggerLength <= 43) Assert.Equal(triggerLength - 1, n);
            else Assert.InRange(n, 41, 64);
            Assert.Equal(0x40, reset[0] & 0xc0); // short header form, Fixed Bit set

            // The peer knows the token (it got it in NEW_CONNECTION_ID or the transport parameters).
            StatelessResetToken[] known = { new(TestGen.RandomBytes(1, 16)), gen.GetToken(cid), new(TestGen.RandomBytes(2, 16)) };
            Assert.True(StatelessResetToken.MatchesAny(reset.AsSpan(0, n), known));
            Assert.False(StatelessResetToken.MatchesAny(reset.AsSpan(0, n), known.AsSpan(0, 1)));
            Assert.False(StatelessResetToken.MatchesAny(reset.AsSpan(0, n), ReadOnlySpan<StatelessResetToken>.Empty));
            Assert.False(StatelessResetToken.MatchesAny(reset.AsSpan(0, n - 1), known)); // the token is the last 16 bytes
        }
    }

    [Fact]
    public void Detection_ignores_long_headers_and_short_datagrams()
    {
        var token = new StatelessResetToken(TestGen.RandomBytes(5, 16));
        byte[] d = new byte[21];
        d[0] = 0x40;
        token.Span.CopyTo(d.AsSpan(5));
        Assert.True(StatelessResetToken.MatchesAny(d, new[] { token }));
        d[0] = 0xc0;
        Assert.False(StatelessResetToken.MatchesAny(d, new[] { token }));
        d[0] = 0x40;
        Assert.False(StatelessResetToken.MatchesAny(d.AsSpan(1), new[] { token }));
    }

    [Fact]
    public void Too_small_and_long_header_triggers_get_nothing()
    {
        var responder = new StatelessResetResponder(new StatelessResetTokenGenerator(KeyA), 8);
        Assert.Equal(29, responder.MinimumTriggerLength);
        var cid = ConnectionId.NewRandom(8);
        byte[] buffer = new byte[100];
        Assert.Equal(StatelessResetOutcome.TooSmall, responder.TryWrite(Instant.Zero, ShortHeaderDatagram(cid, 28), Peer, buffer, out int n));
        Assert.Equal(0, n);
        Assert.Equal(StatelessResetOutcome.TooSmall, responder.TryWrite(Instant.Zero, ShortHeaderDatagram(cid, 21), Peer, buffer, out _));
        byte[] longHeader = ShortHeaderDatagram(cid, 1200);
        longHeader[0] |= 0x80;
        Assert.Equal(StatelessResetOutcome.NotShortHeader, responder.TryWrite(Instant.Zero, longHeader, Peer, buffer, out _));
        Assert.Equal(StatelessResetOutcome.NotShortHeader, responder.TryWrite(Instant.Zero, ReadOnlySpan<byte>.Empty, Peer, buffer, out _));
        Assert.Equal(StatelessResetOutcome.BufferTooSmall, responder.TryWrite(Instant.Zero, ShortHeaderDatagram(cid, 40), Peer, new byte[38], out _));

        // With 1-byte connection IDs the floor is 22: one byte more than the smallest reset.
        var tiny = new StatelessResetResponder(new StatelessResetTokenGenerator(KeyA), 1);
        Assert.Equal(22, tiny.MinimumTriggerLength);
        Assert.Equal(StatelessResetOutcome.Send, tiny.TryWrite(Instant.Zero, ShortHeaderDatagram(ConnectionId.NewRandom(1), 22), Peer, buffer, out n));
        Assert.Equal(21, n);
    }

    [Fact]
    public void Two_responders_cannot_loop_forever()
    {
        // Each reset triggers the other side's responder: lengths strictly decrease until too small.
        var a = new StatelessResetResponder(new StatelessResetTokenGenerator(KeyA), 4, new StatelessResetRateLimiter(1e9, 1_000_000, 1e9, 1_000_000));
        var b = new StatelessResetResponder(new StatelessResetTokenGenerator(KeyB), 4, new StatelessResetRateLimiter(1e9, 1_000_000, 1e9, 1_000_000));
        byte[] datagram = ShortHeaderDatagram(ConnectionId.NewRandom(4), 1500);
        int rounds = 0;
        var turn = a;
        while (true)
        {
            byte[] reply = new byte[1500];
            if (turn.TryWrite(Instant.Zero, datagram, Peer, reply, out int n) != StatelessResetOutcome.Send) break;
            Assert.True(n < datagram.Length);
            datagram = reply.AsSpan(0, n).ToArray();
            turn = turn == a ? b : a;
            Assert.True(++rounds < 100);
        }
        Assert.True(datagram.Length < a.MinimumTriggerLength);
    }

    [Fact]
    public void Rate_limiter_caps_per_address_and_globally_and_refills_with_time()
    {
        var now = Instant.FromMilliseconds(1000);
        var a = new IPEndPoint(IPAddress.Parse("203.0.113.1"), 1000);
        var aOtherPort = new IPEndPoint(IPAddress.Parse("203.0.113.1"), 2000);
        var b = new IPEndPoint(IPAddress.Parse("203.0.113.2"), 1000);

        // Per address (the slot hash is randomized per process; with 65536 slots a and b share one with odds 1.5e-5).
        var perAddress = new StatelessResetRateLimiter(globalPerSecond: 1000, globalBurst: 1000, perAddressPerSecond: 1, perAddressBurst: 2, addressSlots: 1 << 16);
        Assert.True(perAddress.TryAcquire(now, a));
        Assert.True(perAddress.TryAcquire(now, aOtherPort));
        Assert.False(perAddress.TryAcquire(now, a)); // the address's burst of 2 is spent, whatever the port
        Assert.True(perAddress.TryAcquire(now, b));  // other addresses are not affected
        Assert.False(perAddress.TryAcquire(now + TimeSpan.FromMilliseconds(999), a));
        Assert.True(perAddress.TryAcquire(now + TimeSpan.FromSeconds(1), a)); // one more a second
        Assert.False(perAddress.TryAcquire(now + TimeSpan.FromSeconds(1), a));

        // Globally: per-address limits generous, the endpoint's budget of 5 (1 a second) runs out across addresses.
        var global = new StatelessResetRateLimiter(globalPerSecond: 1, globalBurst: 5, perAddressPerSecond: 1000, perAddressBurst: 1000, addressSlots: 1);
        int granted = 0;
        for (int i = 10; i < 20; i++)
            if (global.TryAcquire(now, new IPEndPoint(IPAddress.Parse($"203.0.113.{i}"), 1))) granted++;
        Assert.Equal(5, granted);
        Assert.False(global.TryAcquire(now + TimeSpan.FromMilliseconds(999), b));
        Assert.True(global.TryAcquire(now + TimeSpan.FromSeconds(1), b));
        Assert.False(global.TryAcquire(now + TimeSpan.FromSeconds(1), a));
    }

    [Fact]
    public void Responder_reports_rate_limiting()
    {
        var responder = new StatelessResetResponder(new StatelessResetTokenGenerator(KeyA), 8, new StatelessResetRateLimiter(perAddressBurst: 1, perAddressPerSecond: 1));
        byte[] trigger = ShortHeaderDatagram(ConnectionId.NewRandom(8), 100);
        byte[] buffer = new byte[100];
        Assert.Equal(StatelessResetOutcome.Send, responder.TryWrite(Instant.Zero, trigger, Peer.Serialize(), buffer, out _));
        Assert.Equal(StatelessResetOutcome.RateLimited, responder.TryWrite(Instant.Zero, trigger, Peer.Serialize(), buffer, out int n));
        Assert.Equal(0, n);
    }

    [Fact]
    public void Bad_arguments_throw()
    {
        Assert.Throws<ArgumentException>(() => new StatelessResetTokenGenerator(new byte[16]));
        Assert.Throws<ArgumentException>(() => new StatelessResetToken(new byte[15]));
        var g = new StatelessResetTokenGenerator();
        Assert.Throws<ArgumentException>(() => g.WriteToken(new byte[21], new byte[16]));
        Assert.Throws<ArgumentException>(() => g.WriteToken(new byte[8], new byte[15]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StatelessResetResponder(g, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StatelessResetResponder(g, 8, maximumResetLength: 40));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StatelessResetRateLimiter(globalPerSecond: 0));
    }
}
