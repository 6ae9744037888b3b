using System.Net;
using Transport.Core.Time;
using Transport.Core.Wire;
using Transport.Quic.Crypto;
using Transport.Quic.Endpoint;
using Transport.Quic.Packets;
using Transport.Quic.Tests.Crypto;

namespace Transport.Quic.Tests.Endpoint;

public class RetryTests
{
    // RFC 9001 A.4: ODCID 8394c8f03e515708, client SCID empty, Retry SCID f067a5502a4262b5, token "token", first byte 0xff.
    private static readonly byte[] Odcid = Convert.FromHexString("8394c8f03e515708");
    private static readonly byte[] RetryScid = Convert.FromHexString("f067a5502a4262b5");
    private static readonly byte[] Token = "token"u8.ToArray();
    private static readonly SocketAddress Client = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 50000).Serialize();

    [Theory]
    [InlineData(QuicVersion.Version1, Rfc9001Vectors.V1RetryPacket)]
    [InlineData(QuicVersion.Version2, Rfc9001Vectors.V2RetryPacket)]
    public void Builder_reproduces_the_RFC_vector(uint version, string expectedHex)
    {
        byte[] buffer = new byte[100];
        byte unused = Convert.FromHexString(expectedHex)[0];
        Assert.True(RetryPacketBuilder.TryWrite(buffer, version, ReadOnlySpan<byte>.Empty, Odcid, RetryScid, Token, out int n, (byte)(unused & 0x0f)));
        Assert.Equal(expectedHex, Convert.ToHexStringLower(buffer.AsSpan(0, n)));
    }

    [Fact]
    public void Client_accepts_the_RFC_vector_once()
    {
        var client = new ClientRetryValidator(QuicVersion.Version1, new ConnectionId(Odcid), ConnectionId.Empty);
        byte[] retry = Convert.FromHexString(Rfc9001Vectors.V1RetryPacket);
        Assert.Equal(RetryCheckResult.Accepted, client.Check(retry, out RetryPacket parsed));
        Assert.Equal(Token, parsed.Token.ToArray());
        Assert.True(client.HasAcceptedRetry);
        Assert.Equal(new ConnectionId(RetryScid), client.RetrySourceConnectionId);
        Assert.Equal(RetryCheckResult.TooLate, client.Check(retry, out _)); // only one Retry
    }

    [Fact]
    public void Client_rejects_bad_retries()
    {
        byte[] retry = Convert.FromHexString(Rfc9001Vectors.V1RetryPacket);
        ConnectionId odcid = new(Odcid);

        Assert.Equal(RetryCheckResult.WrongVersion, new ClientRetryValidator(QuicVersion.Version2, odcid, ConnectionId.Empty).Check(retry, out _));
        Assert.Equal(RetryCheckResult.WrongDestination, new ClientRetryValidator(1, odcid, ConnectionId.NewRandom(8)).Check(retry, out _));
        Assert.Equal(RetryCheckResult.InvalidIntegrityTag, new ClientRetryValidator(1, ConnectionId.NewRandom(8), ConnectionId.Empty).Check(retry, out _));
        byte[] tampered = (byte[])retry.Clone();
        tampered[^20] ^= 1; // inside the token
        Assert.Equal(RetryCheckResult.InvalidIntegrityTag, new ClientRetryValidator(1, odcid, ConnectionId.Empty).Check(tampered, out _));
        Assert.Equal(RetryCheckResult.Malformed, new ClientRetryValidator(1, odcid, ConnectionId.Empty).Check(retry.AsSpan(0, 10), out _));
        Assert.Equal(RetryCheckResult.Malformed, new ClientRetryValidator(1, odcid, ConnectionId.Empty).Check(ReadOnlySpan<byte>.Empty, out _));

        var afterInitial = new ClientRetryValidator(1, odcid, ConnectionId.Empty);
        afterInitial.OnServerInitialProcessed();
        Assert.Equal(RetryCheckResult.TooLate, afterInitial.Check(retry, out _));

        // A Retry whose SCID equals the ODCID (built by hand: the builder refuses to).
        byte[] same = new byte[100];
        Assert.True(RetryPacket.TryWrite(same, 1, ReadOnlySpan<byte>.Empty, Odcid, Token, 0, out int tagOffset));
        RetryIntegrity.ComputeTag(1, Odcid, same.AsSpan(0, tagOffset), same.AsSpan(tagOffset));
        Assert.Equal(RetryCheckResult.SameSourceConnectionId,
            new ClientRetryValidator(1, odcid, ConnectionId.Empty).Check(same.AsSpan(0, tagOffset + 16), out _));
    }

    [Fact]
    public void Server_retry_round_trip_with_a_token()
    {
        using var protector = new AddressValidationTokenProtector();
        var now = Instant.FromMilliseconds(5000);
        ConnectionId clientScid = ConnectionId.NewRandom(5), odcid = ConnectionId.NewRandom(8);
        byte[] buffer = new byte[RetryPacket.GetLength(20, 20, AddressValidationTokenProtector.RetryTokenLength)];
        Assert.True(RetryPacketBuilder.TryWriteForInitial(buffer, protector, now, Client, QuicVersion.Version1,
            clientScid.Span, odcid.Span, 8, out ConnectionId retryScid, out int n));
        Assert.Equal(8, retryScid.Length);
        Assert.NotEqual(odcid, retryScid);

        var client = new ClientRetryValidator(QuicVersion.Version1, odcid, clientScid);
        Assert.Equal(RetryCheckResult.Accepted, client.Check(buffer.AsSpan(0, n), out RetryPacket retry));
        Assert.Equal(retryScid, client.RetrySourceConnectionId);

        // The client's next Initial carries the token; the server recovers the ODCID and Retry SCID for its transport parameters.
        var result = protector.Validate(retry.Token, now + TimeSpan.FromMilliseconds(30), Client, AddressValidationTokenKind.Retry);
        Assert.True(result.IsValid);
        Assert.Equal(odcid, result.OriginalDestinationConnectionId);
        Assert.Equal(retryScid, result.RetrySourceConnectionId);

        Assert.False(RetryPacketBuilder.TryWriteForInitial(new byte[50], protector, now, Client, 1, clientScid.Span, odcid.Span, 8, out _, out n));
        Assert.Equal(0, n);
    }

    [Fact]
    public void Bad_arguments_throw()
    {
        byte[] buffer = new byte[200];
        Assert.Throws<ArgumentException>(() => RetryPacketBuilder.TryWrite(buffer, 1, ReadOnlySpan<byte>.Empty, Odcid, Odcid, Token, out _));
        Assert.Throws<ArgumentException>(() => RetryPacketBuilder.TryWrite(buffer, 1, ReadOnlySpan<byte>.Empty, Odcid, RetryScid, ReadOnlySpan<byte>.Empty, out _));
        Assert.Throws<ArgumentException>(() => RetryPacketBuilder.TryWrite(buffer, 0x57414954, ReadOnlySpan<byte>.Empty, Odcid, RetryScid, Token, out _));
        Assert.Throws<ArgumentException>(() => RetryPacketBuilder.TryWrite(buffer, 1, ReadOnlySpan<byte>.Empty, new byte[21], RetryScid, Token, out _));
        using var protector = new AddressValidationTokenProtector();
        Assert.Throws<ArgumentOutOfRangeException>(() => RetryPacketBuilder.TryWriteForInitial(buffer, protector, Instant.Zero, Client, 1, default, Odcid, 0, out _, out _));
    }
}
