using FsCheck;
using FsCheck.Fluent;
using Transport.Quic.Tls;

namespace Transport.Quic.Tests.Tls;

public class TlsRobustnessTests
{
    [Fact]
    public void CorruptedMessages_NeverThrow_AndEndInSuccessOrAnAlert()
    {
        // Flip one byte of one handshake message in flight (either direction); every outcome must be a result.
        var gen = from message in Gen.Choose(0, 7)
                  from position in Gen.Choose(0, 4000)
                  from mask in Gen.Choose(1, 255)
                  select (message, position, mask);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            int seen = 0;
            using var pair = new TlsPair(TlsTestOptions.Client(), TlsTestOptions.Server())
            {
                Tamper = (fromServer, level, data) =>
                {
                    if (seen++ == t.message) data[t.position % data.Length] ^= (byte)t.mask;
                    return data;
                },
            };
            pair.Run();
            bool failed = pair.ClientResult.IsError || pair.ServerResult.IsError;
            if (!failed && !(pair.Client.IsHandshakeComplete && pair.Server.IsHandshakeComplete))
            {
                // A corrupted length can make a side wait for bytes that never come: a stall, not an error
                // (the connection's idle timeout ends it).
                int buffered = 0;
                foreach (EncryptionLevel l in new[] { EncryptionLevel.Initial, EncryptionLevel.Handshake })
                    buffered += pair.Client.BufferedBytes(l) + pair.Server.BufferedBytes(l);
                Assert.True(buffered > 0, "stalled with nothing buffered");
            }
            else if (!failed)
            {
                pair.AssertSuccess();
            }
            else
            {
                TlsResult r = pair.ClientResult.IsError ? pair.ClientResult : pair.ServerResult;
                Assert.True(r.ErrorCode == TransportErrorCode.CryptoBufferExceeded || r.Alert != TlsAlert.InternalError, r.ToString());
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    [Fact]
    public void TruncatedAtEveryLength_ServerWaitsOrRejects()
    {
        using var reference = new TlsPair(TlsTestOptions.Client(), TlsTestOptions.Server());
        reference.Client.Start();
        byte[] hello = reference.ClientListener.Outbox[0].Data;
        for (int n = 4; n < hello.Length; n += 7)
        {
            byte[] cut = hello.AsSpan(0, n).ToArray();
            int len = n - 4;
            cut[1] = (byte)(len >> 16); cut[2] = (byte)(len >> 8); cut[3] = (byte)len;
            using var server = new TlsServerHandshake(TlsTestOptions.Server(), TlsPair.ServerTransportParameters, new RecordingListener());
            TlsResult r = server.ProcessCryptoData(EncryptionLevel.Initial, cut);
            Assert.True(r.IsError, $"length {n}");
            Assert.Equal(TlsAlert.DecodeError, r.Alert);
        }
    }

    [Fact]
    public void ListenerThatThrows_BecomesInternalError()
    {
        var server = new TlsServerHandshake(TlsTestOptions.Server(), TlsPair.ServerTransportParameters, new ThrowingListener());
        using var reference = new TlsPair(TlsTestOptions.Client(), TlsTestOptions.Server());
        reference.Client.Start();
        TlsResult r = server.ProcessCryptoData(EncryptionLevel.Initial, reference.ClientListener.Outbox[0].Data);
        Assert.Equal(TlsAlert.InternalError, r.Alert);
        Assert.Contains("boom", r.Reason);
    }

    private sealed class ThrowingListener : ITlsHandshakeListener
    {
        public void OnCryptoData(EncryptionLevel level, ReadOnlySpan<byte> data) => throw new InvalidOperationException("boom");
        public void OnReadSecret(EncryptionLevel level, CipherSuite suite, ReadOnlySpan<byte> secret) { }
        public void OnWriteSecret(EncryptionLevel level, CipherSuite suite, ReadOnlySpan<byte> secret) { }
        public void OnPeerTransportParameters(ReadOnlySpan<byte> parameters) { }
        public void OnHandshakeComplete() { }
        public void OnSessionTicket(TlsSessionTicket ticket) { }
    }
}

public class TlsRandomInputTests
{
    [Fact]
    public void RandomBytes_AtAnyLevel_NeverThrow()
    {
        var gen = from level in Gen.Elements(EncryptionLevel.Initial, EncryptionLevel.Handshake, EncryptionLevel.OneRtt)
                  from type in Gen.Elements<byte>(1, 2, 4, 8, 11, 15, 20, 24, 99)
                  from body in Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i))
                  select (level, type, body);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            byte[] message = [t.type, 0, (byte)(t.body.Length >> 8), (byte)t.body.Length, .. t.body];
            using var server = new TlsServerHandshake(TlsTestOptions.Server(), TlsPair.ServerTransportParameters, new RecordingListener());
            TlsResult rs = server.ProcessCryptoData(t.level, message);
            var clientListener = new RecordingListener();
            using var client = new TlsClientHandshake(TlsTestOptions.Client(), TlsPair.ClientTransportParameters, clientListener);
            client.Start();
            TlsResult rc = client.ProcessCryptoData(t.level, message);
            Assert.True(rs.IsError, "random input must not be accepted by the server");
            Assert.True(rc.IsError, "random input must not be accepted by the client");
            Assert.NotEqual(TlsAlert.InternalError, rs.Alert);
            Assert.NotEqual(TlsAlert.InternalError, rc.Alert);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }
}

public class TlsAbortTests
{
    private sealed class AbortingListener(Func<TlsHandshake> handshake) : ITlsHandshakeListener
    {
        public RecordingListener Inner { get; } = new();
        public void OnCryptoData(EncryptionLevel level, ReadOnlySpan<byte> data) => Inner.OnCryptoData(level, data);
        public void OnReadSecret(EncryptionLevel level, CipherSuite suite, ReadOnlySpan<byte> secret) => Inner.OnReadSecret(level, suite, secret);
        public void OnWriteSecret(EncryptionLevel level, CipherSuite suite, ReadOnlySpan<byte> secret) => Inner.OnWriteSecret(level, suite, secret);
        public void OnPeerTransportParameters(ReadOnlySpan<byte> parameters) => handshake().Abort(TransportErrorCode.TransportParameterError, "bad parameters");
        public void OnHandshakeComplete() => Inner.OnHandshakeComplete();
        public void OnSessionTicket(TlsSessionTicket ticket) => Inner.OnSessionTicket(ticket);
    }

    [Fact]
    public void AbortFromTransportParameterCallback_StopsServerBeforeAnyOutput()
    {
        TlsServerHandshake? server = null;
        var listener = new AbortingListener(() => server!);
        server = new TlsServerHandshake(TlsTestOptions.Server(), TlsPair.ServerTransportParameters, listener);
        var clientListener = new RecordingListener();
        using var client = new TlsClientHandshake(TlsTestOptions.Client(), TlsPair.ClientTransportParameters, clientListener);
        client.Start();
        TlsResult r = server.ProcessCryptoData(EncryptionLevel.Initial, clientListener.Outbox[0].Data);
        Assert.Equal(TransportErrorCode.TransportParameterError, r.ErrorCode);
        Assert.Equal("bad parameters", r.Reason);
        Assert.Empty(listener.Inner.Outbox);
        Assert.Empty(listener.Inner.WriteSecrets);
        Assert.Equal(r.ErrorCode, server.ProcessCryptoData(EncryptionLevel.Initial, [1]).ErrorCode);
    }

    [Fact]
    public void AbortFromTransportParameterCallback_StopsClientBeforeFinished()
    {
        TlsClientHandshake? client = null;
        var listener = new AbortingListener(() => client!);
        client = new TlsClientHandshake(TlsTestOptions.Client(), TlsPair.ClientTransportParameters, listener);
        var serverListener = new RecordingListener();
        using var server = new TlsServerHandshake(TlsTestOptions.Server(), TlsPair.ServerTransportParameters, serverListener);
        client.Start();
        server.ProcessCryptoData(EncryptionLevel.Initial, listener.Inner.Outbox[0].Data);
        TlsResult r = default;
        foreach (var (level, data) in serverListener.Outbox)
        {
            r = client.ProcessCryptoData(level, data);
            if (r.IsError) break;
        }
        Assert.Equal(TransportErrorCode.TransportParameterError, r.ErrorCode);
        Assert.False(client.IsHandshakeComplete);
        Assert.DoesNotContain(listener.Inner.Outbox, o => o.Level == EncryptionLevel.Handshake);
    }
}
