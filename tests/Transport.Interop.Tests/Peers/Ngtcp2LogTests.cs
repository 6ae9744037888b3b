using Transport.Interop.Peers;

namespace Transport.Interop.Tests.Peers;

public sealed class Ngtcp2LogTests
{
    // Lines as gtlsclient 0.12 prints them (taken from a real run, connection IDs shortened).
    private const string Sample = """
        I00000000 0x56ba pkt tx pkn=0 dcid=0x12bc scid=0x56ba version=0x00000001 type=Initial len=0
        I00000000 0x56ba pkt tx pkn=0 dcid=0x12bc scid=0x56ba version=0x00000001 type=0RTT len=0
        I00000000 0x56ba frm tx 0 0RTT STREAM(0x0a) id=0x2 fin=0 offset=0 len=18 uni=1
        I00000000 0x56ba frm tx 0 0RTT STREAM(0x0b) id=0x0 fin=1 offset=0 len=41 uni=0
        I00000000 0x56ba frm tx 0 0RTT PADDING(0x00) len=360
        I00000000 0x56ba pkt rx pkn=0 dcid=0x56ba scid=0x43e9 version=0x00000001 type=Retry len=0
        I00000001 0x56ba con the negotiated version is 0x00000001
        I00000001 0x56ba frm rx 0 Handshake CRYPTO(0x06) offset=0 len=179
        I00000001 0x56ba frm rx 1 Handshake CRYPTO(0x06) offset=179 len=21
        QUIC handshake has completed
        Negotiated cipher suite is CHACHA20-POLY1305
        Negotiated ALPN is h3
        I00000022 0x56ba pkt tx pkn=7 dcid=0x4fc9 type=1RTT k=1
        I00000022 0x56ba pkt rx pkn=9 dcid=0x56ba type=1RTT k=0
        I00000022 0x56ba pkt rx pkn=10 dcid=0x56ba type=1RTT k=1
        selected server preferred_address is [127.0.0.1]:44341
        I00000024 0x56ba frm tx 3 1RTT PATH_CHALLENGE(0x1a) data=0x42da8de290766656
        I00000023 0x56ba frm tx 1 1RTT ACK(0x03) largest_ack=1 ack_delay=20(2553) ack_range_count=0
        """;

    [Fact]
    public void Sample_log_yields_its_evidence()
    {
        Ngtcp2Log log = Ngtcp2Log.ParseText(Sample);
        Assert.Equal(1, log.Sent("Initial"));
        Assert.Equal(1, log.Sent("0RTT"));
        Assert.Equal(1, log.Sent("1RTT"));
        Assert.Equal(1, log.Received("Retry"));
        Assert.Equal(2, log.Received("1RTT"));
        Assert.Equal(2, log.SentZeroRttStreamFrames);
        Assert.Equal(0, log.ReceivedZeroRttStreamFrames);
        Assert.Equal(200, log.ReceivedHandshakeCryptoBytes);
        Assert.Equal(1, log.SentKeyPhaseOnePackets);
        Assert.Equal(1, log.ReceivedKeyPhaseOnePackets); // "largest_ack=1" is not a key phase
        Assert.True(log.HandshakeCompleted);
        Assert.False(log.EarlyDataRejected);
        Assert.Equal("CHACHA20-POLY1305", log.NegotiatedCipherSuite);
        Assert.Equal("h3", log.NegotiatedAlpn);
        Assert.Equal("0x00000001", log.NegotiatedVersion);
        Assert.Equal("[127.0.0.1]:44341", log.SelectedPreferredAddress);
        Assert.Equal(1, log.SentPathChallenges);
        Assert.Equal(0, log.ReceivedPathChallenges);
    }

    [Fact]
    public void Rejected_early_data_is_seen()
    {
        Assert.True(Ngtcp2Log.ParseText("Early data was rejected by server\n").EarlyDataRejected);
        Assert.False(Ngtcp2Log.ParseText("").HandshakeCompleted);
    }
}
