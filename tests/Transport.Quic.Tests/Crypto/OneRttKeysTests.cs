using System.Security.Cryptography;
using Transport.Quic.Crypto;

namespace Transport.Quic.Tests.Crypto;

public class OneRttKeysTests
{
    private sealed class Pair : IDisposable
    {
        public readonly OneRttKeys Client, Server;
        public long ClientNextPn, ServerNextPn, ClientLargestReceived = -1, ServerLargestReceived = -1;

        public Pair(CipherSuite suite)
        {
            byte[] clientSecret = PacketTestBuilder.Secret(suite, 11), serverSecret = PacketTestBuilder.Secret(suite, 12);
            Client = OneRttKeys.Create(suite, clientSecret, serverSecret);
            Server = OneRttKeys.Create(suite, serverSecret, clientSecret);
        }

        public void Dispose() { Client.Dispose(); Server.Dispose(); }
    }

    private static byte[] Seal(OneRttKeys keys, long pn, byte marker, out int pnOffset)
    {
        byte[] payload = new byte[20];
        payload.AsSpan().Fill(marker);
        byte[] packet = PacketTestBuilder.Build(false, 2, payload, out pnOffset);
        keys.Seal(packet, pnOffset + 2, pnOffset, 2, pn);
        return packet;
    }

    private static bool Open(OneRttKeys keys, byte[] packet, int pnOffset, ref long largest, out byte marker, out bool keyPhase)
    {
        marker = 0;
        keyPhase = false;
        if (!keys.TryOpen(packet, pnOffset, largest, out long pn, out int headerLength, out int payloadLength)) return false;
        largest = Math.Max(largest, pn);
        keyPhase = (packet[0] & OneRttKeys.KeyPhaseBit) != 0;
        marker = packet[headerLength];
        Assert.Equal(20, payloadLength);
        return true;
    }

    private static void ClientToServer(Pair p, byte marker, bool expectPhase)
    {
        byte[] packet = Seal(p.Client, p.ClientNextPn++, marker, out int off);
        Assert.True(Open(p.Server, packet, off, ref p.ServerLargestReceived, out byte got, out bool phase));
        Assert.Equal(marker, got);
        Assert.Equal(expectPhase, phase);
    }

    private static void ServerToClient(Pair p, byte marker, bool expectPhase)
    {
        byte[] packet = Seal(p.Server, p.ServerNextPn++, marker, out int off);
        Assert.True(Open(p.Client, packet, off, ref p.ClientLargestReceived, out byte got, out bool phase));
        Assert.Equal(marker, got);
        Assert.Equal(expectPhase, phase);
    }

    public static TheoryData<CipherSuite> Suites => new(PacketTestBuilder.Suites);

    [Theory]
    [MemberData(nameof(Suites))]
    public void SendOnlyKeys_SealAtOnce_OpenOnlyAfterTheReceiveSecret(CipherSuite suite)
    {
        byte[] clientSecret = PacketTestBuilder.Secret(suite, 11), serverSecret = PacketTestBuilder.Secret(suite, 12);
        using var client = OneRttKeys.Create(suite, clientSecret, serverSecret);
        using var server = OneRttKeys.CreateSendOnly(suite, serverSecret);
        long clientLargest = -1, serverLargest = -1;

        // 0.5-RTT: the server seals, the client opens.
        byte[] halfRtt = Seal(server, 0, 0x51, out int off);
        Assert.True(Open(client, halfRtt, off, ref clientLargest, out byte got, out _));
        Assert.Equal(0x51, got);
        // Nothing opens and no key update starts before the client's secret is installed.
        Assert.False(server.CanReceive);
        byte[] early = Seal(client, 0, 0x52, out off);
        Assert.False(Open(server, early, off, ref serverLargest, out _, out _));
        Assert.False(server.TryInitiateKeyUpdate());

        server.InstallReceiveSecret(clientSecret);
        Assert.True(server.CanReceive);
        byte[] later = Seal(client, 1, 0x53, out off);
        Assert.True(Open(server, later, off, ref serverLargest, out got, out _));
        Assert.Equal(0x53, got);
        // Sending still works after the install, and a key update now goes through both ways.
        byte[] reply = Seal(server, 1, 0x54, out off);
        Assert.True(Open(client, reply, off, ref clientLargest, out got, out _));
        Assert.True(server.TryInitiateKeyUpdate());
        byte[] updated = Seal(server, 2, 0x55, out off);
        Assert.True(Open(client, updated, off, ref clientLargest, out got, out bool phase));
        Assert.True(phase);
        Assert.Equal(0x55, got);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void SendOnlyKeys_DisposeBeforeTheReceiveSecret(CipherSuite suite)
    {
        var server = OneRttKeys.CreateSendOnly(suite, PacketTestBuilder.Secret(suite, 12));
        server.Dispose();
        server.Dispose();
        Assert.Throws<ObjectDisposedException>(() => server.Seal(new byte[64], 20, 1, 2, 0));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Client_initiated_key_update_round_trip(CipherSuite suite)
    {
        using var p = new Pair(suite);
        ClientToServer(p, 1, false);
        ServerToClient(p, 2, false);

        Assert.True(p.Client.TryInitiateKeyUpdate());
        Assert.True(p.Client.SendKeyPhase);
        Assert.True(p.Client.IsKeyUpdatePending);
        Assert.False(p.Client.TryInitiateKeyUpdate()); // RFC 9001 §6.1: not again before the peer answers
        Assert.Equal(1, p.Client.SendGeneration);
        Assert.Equal(0, p.Client.ReceiveGeneration);

        // The server still sends in the old phase until it sees the new one.
        ServerToClient(p, 3, false);
        ClientToServer(p, 4, true);
        Assert.Equal(1, p.Server.ReceiveGeneration);
        Assert.Equal(1, p.Server.SendGeneration); // RFC 9001 §6.2: the peer answers by updating its send keys
        Assert.True(p.Server.HasPreviousKeys);
        Assert.False(p.Server.IsKeyUpdatePending);

        ServerToClient(p, 5, true);
        Assert.Equal(1, p.Client.ReceiveGeneration);
        Assert.False(p.Client.IsKeyUpdatePending);

        // And the server can initiate the next one.
        Assert.True(p.Server.TryInitiateKeyUpdate());
        ServerToClient(p, 6, false);
        Assert.Equal(2, p.Client.SendGeneration);
        ClientToServer(p, 7, false);
        Assert.Equal(2, p.Server.ReceiveGeneration);
        Assert.Equal(0, p.Client.DecryptionFailures + p.Server.DecryptionFailures);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Many_updates_alternating_initiators_keep_working(CipherSuite suite)
    {
        using var p = new Pair(suite);
        for (int round = 0; round < 10; round++)
        {
            var initiator = round % 2 == 0 ? p.Client : p.Server;
            Assert.True(initiator.TryInitiateKeyUpdate());
            bool phase = ((round + 1) & 1) != 0;
            if (round % 2 == 0) { ClientToServer(p, (byte)round, phase); ServerToClient(p, (byte)round, phase); }
            else { ServerToClient(p, (byte)round, phase); ClientToServer(p, (byte)round, phase); }
            Assert.Equal(round + 1, p.Client.SendGeneration);
            Assert.Equal(round + 1, p.Server.ReceiveGeneration);
        }
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Reordered_packets_of_the_previous_phase_open_until_the_keys_are_discarded(CipherSuite suite)
    {
        using var p = new Pair(suite);
        byte[] old1 = Seal(p.Client, 10, 0xa1, out int off);
        byte[] old2 = Seal(p.Client, 11, 0xa2, out _);
        byte[] old3 = Seal(p.Client, 12, 0xa3, out _);
        Assert.True(p.Client.TryInitiateKeyUpdate());
        byte[] updated = Seal(p.Client, 13, 0xb1, out _);

        long largest = 9;
        Assert.True(Open(p.Server, updated, off, ref largest, out byte m, out bool phase));
        Assert.Equal((0xb1, true), (m, phase));
        Assert.Equal(1, p.Server.ReceiveGeneration);
        // Delayed packets of the old phase with lower packet numbers use the previous keys (RFC 9001 §6.5).
        Assert.True(Open(p.Server, old2, off, ref largest, out m, out phase));
        Assert.Equal((0xa2, false), (m, phase));
        Assert.True(Open(p.Server, old1, off, ref largest, out m, out _));
        Assert.Equal(0xa1, m);
        Assert.Equal(1, p.Server.ReceiveGeneration);

        p.Server.DiscardPreviousKeys();
        Assert.False(p.Server.HasPreviousKeys);
        Assert.False(Open(p.Server, old3, off, ref largest, out _, out _));
        Assert.Equal(1, p.Server.ReceiveGeneration);
    }

    [Fact]
    public void Next_generation_uses_quic_ku_and_keeps_header_protection()
    {
        const CipherSuite suite = CipherSuite.Aes256GcmSha384;
        byte[] secret = PacketTestBuilder.Secret(suite, 21);
        using var keys = OneRttKeys.Create(suite, secret, secret);
        Assert.True(keys.TryInitiateKeyUpdate());
        byte[] next = HkdfLabel.Expand(HashAlgorithmName.SHA384, secret, "quic ku", default, 48);
        Assert.Equal(next, keys.Send.Secret.ToArray());
        Assert.Equal(HkdfLabel.Expand(HashAlgorithmName.SHA384, next, "quic iv", default, 12), keys.Send.Iv.ToArray());

        // Header protection is not updated (RFC 9001 §6.1): a generation-1 packet's header unmasks with the hp key of
        // the original secret.
        byte[] packet = PacketTestBuilder.Build(false, 4, new byte[30], out int off);
        byte[] clear = packet.AsSpan(0, off + 4).ToArray();
        keys.Seal(packet, off + 4, off, 4, 0x01020304);
        using var hp = HeaderProtection.Create(suite, HkdfLabel.Expand(HashAlgorithmName.SHA384, secret, "quic hp", default, 32));
        Assert.True(hp.TryRemove(packet, off, out int pnLength, out long truncated));
        Assert.Equal(4, pnLength);
        Assert.Equal(0x01020304, truncated);
        Assert.Equal(clear[0] | OneRttKeys.KeyPhaseBit, packet[0]);
    }

    [Fact]
    public void Forged_key_phase_does_not_advance_keys()
    {
        using var p = new Pair(CipherSuite.Aes128GcmSha256);
        byte[] packet = Seal(p.Client, 5, 1, out int off);
        // Flip the Key Phase bit under header protection: open first to learn the mask is impossible for an attacker, so
        // flip the protected bit directly; the packet must then fail and change nothing.
        packet[0] ^= OneRttKeys.KeyPhaseBit;
        long largest = 4;
        Assert.False(Open(p.Server, packet, off, ref largest, out _, out _));
        Assert.Equal(0, p.Server.ReceiveGeneration);
        Assert.Equal(0, p.Server.SendGeneration);
        Assert.Equal(1, p.Server.DecryptionFailures);
        ClientToServer(p, 2, false);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Next_receive_keys_are_derived_on_first_need_and_kept(CipherSuite suite)
    {
        using var p = new Pair(suite);
        // Traffic in the current phase never needs the next generation.
        for (int i = 0; i < 5; i++) { ClientToServer(p, (byte)i, false); ServerToClient(p, (byte)i, false); }
        Assert.False(p.Server.HasNextReceiveKeys);
        Assert.False(p.Client.HasNextReceiveKeys);

        // A forged packet of the other phase derives them (before authentication, whatever the outcome) and they are
        // kept although it fails (RFC 9001 §6.3).
        byte[] forged = Seal(p.Client, p.ClientNextPn++, 9, out int off);
        forged[0] ^= OneRttKeys.KeyPhaseBit;
        Assert.False(Open(p.Server, forged, off, ref p.ServerLargestReceived, out _, out _));
        Assert.True(p.Server.HasNextReceiveKeys);
        Assert.Equal(0, p.Server.ReceiveGeneration);

        // The real update then opens with those keys; after it the following generation is again not derived.
        byte[] late = Seal(p.Client, p.ClientNextPn++, 12, out _); // generation 0, delivered after the update
        Assert.True(p.Client.TryInitiateKeyUpdate());
        Assert.False(p.Client.HasNextReceiveKeys); // initiating derives only the send keys
        ClientToServer(p, 10, true);
        Assert.Equal(1, p.Server.ReceiveGeneration);
        Assert.False(p.Server.HasNextReceiveKeys);
        Assert.True(p.Server.HasPreviousKeys);
        ServerToClient(p, 11, true);
        Assert.Equal(1, p.Client.ReceiveGeneration);
        Assert.False(p.Client.HasNextReceiveKeys);

        // A delayed packet of generation 0 (lower packet number, other phase) opens with the previous keys, deriving nothing.
        Assert.True(Open(p.Server, late, off, ref p.ServerLargestReceived, out byte m, out bool phase));
        Assert.Equal((12, false), (m, phase));
        Assert.False(p.Server.HasNextReceiveKeys);
        Assert.Equal(1, p.Server.ReceiveGeneration);
    }

    [Fact]
    public void Send_only_keys_derive_no_receive_keys_until_installed_and_then_only_current()
    {
        var suite = CipherSuite.Aes128GcmSha256;
        byte[] clientSecret = PacketTestBuilder.Secret(suite, 11), serverSecret = PacketTestBuilder.Secret(suite, 12);
        using var server = OneRttKeys.CreateSendOnly(suite, serverSecret);
        Assert.False(server.HasNextReceiveKeys);
        server.InstallReceiveSecret(clientSecret);
        Assert.False(server.HasNextReceiveKeys);
        using var client = OneRttKeys.Create(suite, clientSecret, serverSecret);
        byte[] packet = Seal(client, 0, 1, out int off);
        long largest = -1;
        Assert.True(Open(server, packet, off, ref largest, out byte marker, out _));
        Assert.Equal(1, marker);
        Assert.False(server.HasNextReceiveKeys);
    }

    [Fact]
    public void Long_headers_are_refused()
    {
        using var p = new Pair(CipherSuite.Aes128GcmSha256);
        byte[] packet = PacketTestBuilder.Build(true, 2, new byte[30], out int off);
        Assert.Throws<ArgumentException>(() => p.Client.Seal(packet, off + 2, off, 2, 1));
        Assert.False(p.Server.TryOpen(packet, off, -1, out _, out _, out _));
        Assert.False(p.Server.TryOpen([], 1, -1, out _, out _, out _));
    }

    [Fact]
    public void Secrets_of_the_wrong_length_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => OneRttKeys.Create(CipherSuite.Aes256GcmSha384, new byte[32], new byte[48]));
        Assert.Throws<ArgumentException>(() => OneRttKeys.Create(CipherSuite.Aes128GcmSha256, new byte[32], new byte[48]));
        Assert.Throws<ArgumentException>(() => OneRttKeys.Create(CipherSuite.Aes128GcmSha256, new byte[32], new byte[32], 0xff00001d));
    }
}
