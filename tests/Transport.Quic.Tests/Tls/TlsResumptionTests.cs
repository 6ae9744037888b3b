using Transport.Quic.Tls;

namespace Transport.Quic.Tests.Tls;

public class TlsResumptionTests
{
    private readonly ManualTimeProvider _clock = new();

    private TlsServerOptions Server(bool earlyData = true, TlsSessionTicketKeys? keys = null)
    {
        var s = TlsTestOptions.Server();
        s.SessionTicketKeys = keys ?? new TlsSessionTicketKeys();
        s.EnableEarlyData = earlyData;
        s.TimeProvider = _clock;
        return s;
    }

    private TlsClientOptions Client(TlsSessionTicket? ticket = null, bool earlyData = true)
    {
        var c = TlsTestOptions.Client();
        c.SessionTicket = ticket;
        c.EnableEarlyData = earlyData;
        c.TimeProvider = _clock;
        return c;
    }

    private TlsSessionTicket FirstConnection(TlsServerOptions server, byte[]? appData = null, TlsClientOptions? client = null)
    {
        using var pair = new TlsPair(client ?? Client(), server);
        pair.Server.TicketApplicationData = appData;
        pair.Run();
        pair.AssertSuccess();
        Assert.False(pair.Client.IsResumed);
        TlsSessionTicket ticket = Assert.Single(pair.ClientListener.Tickets);
        Assert.Single(pair.ServerListener.Outbox, o => o.Level == EncryptionLevel.OneRtt && o.Data[0] == 4);
        return ticket;
    }

    [Fact]
    public void Ticket_CarriesWhatResumptionNeeds()
    {
        var server = Server();
        TlsSessionTicket ticket = FirstConnection(server);
        Assert.True(ticket.AllowsEarlyData);
        Assert.Equal(0xffffffffu, ticket.MaxEarlyDataSize); // RFC 9001 §4.6.1
        Assert.Equal(TlsPair.ServerTransportParameters, ticket.TransportParameters);
        Assert.Equal(TlsTestOptions.Alpn, ticket.ApplicationProtocol);
        Assert.Equal(TestCertificates.Name, ticket.ServerName);
        Assert.Equal(CipherSuite.Aes128GcmSha256, ticket.CipherSuite);
        Assert.Equal(TimeSpan.FromDays(1), ticket.Lifetime);
    }

    [Fact]
    public void NoTicketKeys_NoTicket()
    {
        using var pair = new TlsPair(Client(), TlsTestOptions.Server());
        pair.Run();
        pair.AssertSuccess();
        Assert.Empty(pair.ClientListener.Tickets);
    }

    [Fact]
    public void Resumption_With0Rtt_Accepted()
    {
        var server = Server();
        byte[] appData = [9, 8, 7];
        TlsSessionTicket ticket = FirstConnection(server, appData);
        _clock.Now += TimeSpan.FromSeconds(30);

        using var pair = new TlsPair(Client(ticket), server);
        pair.Run();
        pair.AssertSuccess();
        Assert.True(pair.Client.IsResumed);
        Assert.True(pair.Server.IsResumed);
        Assert.Null(pair.Client.PeerCertificate);
        Assert.DoesNotContain(pair.ServerListener.Outbox, o => o.Data[0] is 11 or 15); // no Certificate, no CertificateVerify
        Assert.Equal(TlsEarlyDataStatus.Accepted, pair.Client.EarlyDataStatus);
        Assert.Equal(TlsEarlyDataStatus.Accepted, pair.Server.EarlyDataStatus);
        Assert.Equal(pair.ClientListener.WriteSecrets[EncryptionLevel.ZeroRtt].Secret, pair.ServerListener.ReadSecrets[EncryptionLevel.ZeroRtt].Secret);
        Assert.Equal(ticket.CipherSuite, pair.ClientListener.WriteSecrets[EncryptionLevel.ZeroRtt].Suite);
        Assert.Equal(appData, pair.Server.ResumedTicketApplicationData);
        // The 0-RTT write secret comes before the ClientHello is handed out? No: after it, since it hashes the ClientHello.
        Assert.Equal(["data:Initial:1", "write:ZeroRtt"], pair.ClientListener.Events.Take(2));
        Assert.Single(pair.ClientListener.Tickets); // a fresh ticket on the resumed connection too
    }

    [Fact]
    public void Resumption_WithoutEarlyDataOffered()
    {
        var server = Server();
        TlsSessionTicket ticket = FirstConnection(server);
        using var pair = new TlsPair(Client(ticket, earlyData: false), server);
        pair.Run();
        pair.AssertSuccess();
        Assert.True(pair.Client.IsResumed);
        Assert.Equal(TlsEarlyDataStatus.NotOffered, pair.Client.EarlyDataStatus);
        Assert.Equal(TlsEarlyDataStatus.NotOffered, pair.Server.EarlyDataStatus);
        Assert.False(pair.ClientListener.WriteSecrets.ContainsKey(EncryptionLevel.ZeroRtt));
        Assert.False(pair.ServerListener.ReadSecrets.ContainsKey(EncryptionLevel.ZeroRtt));
    }

    [Fact]
    public void ZeroRtt_RefusedByServerPolicy_StillResumes()
    {
        var keys = new TlsSessionTicketKeys();
        TlsSessionTicket ticket = FirstConnection(Server(earlyData: true, keys));
        using var pair = new TlsPair(Client(ticket), Server(earlyData: false, keys));
        pair.Run();
        pair.AssertSuccess();
        Assert.True(pair.Client.IsResumed);
        Assert.Equal(TlsEarlyDataStatus.Rejected, pair.Client.EarlyDataStatus);
        Assert.Equal(TlsEarlyDataStatus.Rejected, pair.Server.EarlyDataStatus);
        Assert.False(pair.ServerListener.ReadSecrets.ContainsKey(EncryptionLevel.ZeroRtt));
    }

    [Fact]
    public void ZeroRtt_RefusedByFilterOnTicketAppData()
    {
        var server = Server();
        byte[]? seen = null;
        server.EarlyDataFilter = data => { seen = data.ToArray(); return false; };
        TlsSessionTicket ticket = FirstConnection(server, [42]);
        using var pair = new TlsPair(Client(ticket), server);
        pair.Run();
        pair.AssertSuccess();
        Assert.True(pair.Client.IsResumed);
        Assert.Equal(TlsEarlyDataStatus.Rejected, pair.Client.EarlyDataStatus);
        Assert.Equal([42], seen);
    }

    [Fact]
    public void ZeroRtt_ReplayedTicket_RejectsEarlyDataButResumes()
    {
        var server = Server();
        TlsSessionTicket ticket = FirstConnection(server);
        using (var first = new TlsPair(Client(ticket), server))
        {
            first.Run();
            first.AssertSuccess();
            Assert.Equal(TlsEarlyDataStatus.Accepted, first.Server.EarlyDataStatus);
        }
        using var replay = new TlsPair(Client(ticket), server);
        replay.Run();
        replay.AssertSuccess();
        Assert.True(replay.Server.IsResumed);
        Assert.Equal(TlsEarlyDataStatus.Rejected, replay.Server.EarlyDataStatus);
        Assert.Equal(TlsEarlyDataStatus.Rejected, replay.Client.EarlyDataStatus);
    }

    [Fact]
    public void ZeroRtt_TicketAgeOutsideWindow_RejectsEarlyData()
    {
        var server = Server();
        TlsSessionTicket ticket = FirstConnection(server);
        // The client's clock runs a minute behind the server's: its ticket age disagrees by more than the 10 s window.
        var client = Client(ticket);
        client.TimeProvider = new ManualTimeProvider { Now = _clock.Now };
        _clock.Now += TimeSpan.FromMinutes(1);
        using var pair = new TlsPair(client, server);
        pair.Run();
        pair.AssertSuccess();
        Assert.True(pair.Server.IsResumed);
        Assert.Equal(TlsEarlyDataStatus.Rejected, pair.Server.EarlyDataStatus);
    }

    [Fact]
    public void TamperedTicket_FullHandshake()
    {
        var server = Server();
        TlsSessionTicket ticket = FirstConnection(server);
        byte[] bad = ticket.Ticket.ToArray();
        bad[^5] ^= 1;
        var tampered = new TlsSessionTicket(bad, ticket.CipherSuite, ticket.Psk, ticket.AgeAdd, ticket.Lifetime, ticket.ReceivedAt,
            ticket.MaxEarlyDataSize, ticket.ApplicationProtocol, ticket.ServerName, ticket.TransportParameters);
        using var pair = new TlsPair(Client(tampered), server);
        pair.Run();
        pair.AssertSuccess();
        Assert.False(pair.Client.IsResumed);
        Assert.False(pair.Server.IsResumed);
        Assert.NotNull(pair.Client.PeerCertificate);
        Assert.Equal(TlsEarlyDataStatus.Rejected, pair.Client.EarlyDataStatus);
    }

    [Fact]
    public void TicketFromRotatedOutKey_FullHandshake_RotatedInKeyStillWorks()
    {
        var keys = new TlsSessionTicketKeys { MaxKeys = 2 };
        var server = Server(keys: keys);
        TlsSessionTicket ticket = FirstConnection(server);
        keys.Rotate();
        using (var pair = new TlsPair(Client(ticket, earlyData: false), server))
        {
            pair.Run();
            pair.AssertSuccess();
            Assert.True(pair.Server.IsResumed); // the previous key still opens it
        }
        keys.Rotate();
        using (var pair = new TlsPair(Client(ticket, earlyData: false), server))
        {
            pair.Run();
            pair.AssertSuccess();
            Assert.False(pair.Server.IsResumed);
        }
    }

    [Fact]
    public void ExpiredTicket_NotOffered()
    {
        var server = Server();
        TlsSessionTicket ticket = FirstConnection(server);
        _clock.Now += TimeSpan.FromDays(2);
        using var pair = new TlsPair(Client(ticket), server);
        pair.Run();
        pair.AssertSuccess();
        Assert.False(pair.Client.IsResumed);
        Assert.Equal(TlsEarlyDataStatus.NotOffered, pair.Client.EarlyDataStatus);
    }

    [Fact]
    public void BadBinder_DecryptError()
    {
        var server = Server();
        TlsSessionTicket ticket = FirstConnection(server);
        using var pair = new TlsPair(Client(ticket, earlyData: false), server)
        {
            Tamper = (fromServer, level, data) =>
            {
                if (!fromServer && data[0] == 1) data[^1] ^= 1; // the binder is the last byte of the ClientHello
                return data;
            },
        };
        pair.Run();
        Assert.True(pair.ServerResult.IsError);
        Assert.Equal(TlsAlert.DecryptError, pair.ServerResult.Alert);
    }

    [Fact]
    public void WrongPsk_DecryptError()
    {
        var server = Server();
        TlsSessionTicket ticket = FirstConnection(server);
        byte[] psk = ticket.Psk.ToArray();
        psk[0] ^= 1;
        var forged = new TlsSessionTicket(ticket.Ticket, ticket.CipherSuite, psk, ticket.AgeAdd, ticket.Lifetime, ticket.ReceivedAt,
            ticket.MaxEarlyDataSize, ticket.ApplicationProtocol, ticket.ServerName, ticket.TransportParameters);
        using var pair = new TlsPair(Client(forged), server);
        pair.Run();
        Assert.Equal(TlsAlert.DecryptError, pair.ServerResult.Alert);
    }

    [Fact]
    public void Resumption_AfterHelloRetryRequest_ResumesWithoutEarlyData()
    {
        var keys = new TlsSessionTicketKeys();
        TlsSessionTicket ticket = FirstConnection(Server(keys: keys));
        var server = Server(keys: keys);
        server.Groups = [TlsNamedGroup.Secp256r1];
        using var pair = new TlsPair(Client(ticket), server);
        pair.Run();
        pair.AssertSuccess();
        Assert.True(pair.Client.HelloRetryRequested);
        Assert.True(pair.Client.IsResumed);
        Assert.True(pair.Server.IsResumed);
        Assert.Equal(TlsEarlyDataStatus.Rejected, pair.Client.EarlyDataStatus);
        Assert.Equal(TlsEarlyDataStatus.Rejected, pair.Server.EarlyDataStatus);
        Assert.False(pair.ServerListener.ReadSecrets.ContainsKey(EncryptionLevel.ZeroRtt));
    }

    [Fact]
    public void Resumption_WithSha384Suite()
    {
        var keys = new TlsSessionTicketKeys();
        var client = Client();
        client.CipherSuites = [CipherSuite.Aes256GcmSha384];
        TlsSessionTicket ticket = FirstConnection(Server(keys: keys), client: client);
        Assert.Equal(CipherSuite.Aes256GcmSha384, ticket.CipherSuite);
        var client2 = Client(ticket);
        client2.CipherSuites = [CipherSuite.Aes128GcmSha256, CipherSuite.Aes256GcmSha384];
        using var pair = new TlsPair(client2, Server(keys: keys));
        pair.Run();
        pair.AssertSuccess();
        Assert.True(pair.Client.IsResumed);
        Assert.Equal(CipherSuite.Aes256GcmSha384, pair.Client.CipherSuite); // the ticket's suite wins, for 0-RTT
        Assert.Equal(TlsEarlyDataStatus.Accepted, pair.Client.EarlyDataStatus);
    }

    [Fact]
    public void TicketForAnotherServerName_NotOffered()
    {
        var server = Server();
        TlsSessionTicket ticket = FirstConnection(server);
        var client = Client(ticket);
        client.ServerName = "other.test";
        client.DangerousAcceptAnyServerCertificate = true;
        using var pair = new TlsPair(client, server);
        pair.Run();
        pair.AssertSuccess();
        Assert.False(pair.Client.IsResumed);
    }

    [Fact]
    public void TicketAlpnNoLongerOffered_ResumesWithoutEarlyData()
    {
        var server = Server();
        server.ApplicationProtocols = [TlsTestOptions.Alpn, new System.Net.Security.SslApplicationProtocol("v2")];
        TlsSessionTicket ticket = FirstConnection(server);
        var client = Client(ticket);
        client.ApplicationProtocols = [new System.Net.Security.SslApplicationProtocol("v2")];
        using var pair = new TlsPair(client, server);
        pair.Run();
        pair.AssertSuccess();
        Assert.True(pair.Client.IsResumed);
        Assert.Equal(TlsEarlyDataStatus.NotOffered, pair.Client.EarlyDataStatus);
    }

    [Fact]
    public void ServerNegotiatesAnotherAlpn_RejectsEarlyData()
    {
        var server = Server();
        server.ApplicationProtocols = [TlsTestOptions.Alpn, new System.Net.Security.SslApplicationProtocol("v2")];
        TlsSessionTicket ticket = FirstConnection(server);
        server.ApplicationProtocols = [new System.Net.Security.SslApplicationProtocol("v2"), TlsTestOptions.Alpn];
        var client = Client(ticket);
        client.ApplicationProtocols = [TlsTestOptions.Alpn, new System.Net.Security.SslApplicationProtocol("v2")];
        using var pair = new TlsPair(client, server);
        pair.Run();
        pair.AssertSuccess();
        Assert.True(pair.Client.IsResumed);
        Assert.Equal(new System.Net.Security.SslApplicationProtocol("v2"), pair.Client.NegotiatedApplicationProtocol);
        Assert.Equal(TlsEarlyDataStatus.Rejected, pair.Server.EarlyDataStatus);
        Assert.Equal(TlsEarlyDataStatus.Rejected, pair.Client.EarlyDataStatus);
    }

    [Fact]
    public void ReplayCache_IsSingleUseAndBounded()
    {
        var cache = new TlsReplayCache(capacity: 2);
        var now = DateTimeOffset.UnixEpoch;
        Assert.True(cache.TryRegister([1], now, now.AddSeconds(10)));
        Assert.False(cache.TryRegister([1], now, now.AddSeconds(10)));
        Assert.True(cache.TryRegister([2], now, now.AddSeconds(10)));
        Assert.False(cache.TryRegister([3], now, now.AddSeconds(10))); // full: fail safe
        Assert.True(cache.TryRegister([3], now.AddSeconds(11), now.AddSeconds(20))); // expired entries make room
    }

    [Fact]
    public void TicketKeys_SealOpenAndRejectTampering()
    {
        var keys = new TlsSessionTicketKeys();
        byte[] sealedTicket = keys.Seal([1, 2, 3]);
        Assert.True(keys.TryOpen(sealedTicket, out byte[] plain));
        Assert.Equal([1, 2, 3], plain);
        for (int i = 0; i < sealedTicket.Length; i++)
        {
            byte[] t = sealedTicket.ToArray();
            t[i] ^= 0x80;
            Assert.False(keys.TryOpen(t, out _));
        }
        Assert.False(new TlsSessionTicketKeys().TryOpen(sealedTicket, out _));
        Assert.Throws<ArgumentException>(() => keys.AddKey(new byte[16], true));
    }
}

public class TlsSessionTicketSerializationTests
{
    [Fact]
    public void SerializedTicket_RoundTripsAndResumes()
    {
        var server = TlsTestOptions.Server();
        server.SessionTicketKeys = new TlsSessionTicketKeys();
        server.EnableEarlyData = true;
        TlsSessionTicket original;
        using (var first = new TlsPair(TlsTestOptions.Client(), server))
        {
            first.Run();
            first.AssertSuccess();
            original = Assert.Single(first.ClientListener.Tickets);
        }
        byte[] bytes = original.Serialize();
        Assert.True(TlsSessionTicket.TryDeserialize(bytes, out TlsSessionTicket? copy));
        Assert.Equal(original.Serialize(), copy.Serialize());
        Assert.Equal(original.ServerName, copy.ServerName);
        Assert.Equal(original.ApplicationProtocol, copy.ApplicationProtocol);
        Assert.Equal(original.TransportParameters, copy.TransportParameters);
        Assert.Equal(original.ReceivedAt.ToUnixTimeMilliseconds(), copy.ReceivedAt.ToUnixTimeMilliseconds());

        var client = TlsTestOptions.Client();
        client.SessionTicket = copy;
        client.EnableEarlyData = true;
        using var second = new TlsPair(client, server);
        second.Run();
        second.AssertSuccess();
        Assert.True(second.Client.IsResumed);
        Assert.Equal(TlsEarlyDataStatus.Accepted, second.Client.EarlyDataStatus);

        // Truncations and a wrong version are refused, never thrown.
        for (int n = 0; n < bytes.Length; n++) Assert.False(TlsSessionTicket.TryDeserialize(bytes.AsSpan(0, n), out _));
        byte[] wrongVersion = bytes.ToArray();
        wrongVersion[0] = 9;
        Assert.False(TlsSessionTicket.TryDeserialize(wrongVersion, out _));
    }
}
