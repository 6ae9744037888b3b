using System.Net;
using System.Security.Cryptography;
using Transport.Core.Time;
using Transport.Core.Wire;
using Transport.Quic.Crypto;
using Transport.Quic.Packets;

namespace Transport.Quic.Endpoint;

/// <summary>
/// Builds a server's Retry packet (RFC 9000 §8.1.2, §17.2.5): the long header echoing the client's Source Connection
/// ID as Destination, a new Source Connection ID, the Retry Token, and the Retry Integrity Tag (RFC 9001 §5.8)
/// computed over the pseudo-packet with the client's original Destination Connection ID. Stateless; allocates nothing.
/// </summary>
public static class RetryPacketBuilder
{
    /// <summary>
    /// Writes a complete Retry packet, tag included. False when <paramref name="destination"/> is too short.
    /// </summary>
    /// <param name="destination">Receives the packet.</param>
    /// <param name="version">The version of the client's Initial (v1 or v2).</param>
    /// <param name="clientSourceConnectionId">The client Initial's Source Connection ID (the Retry's Destination).</param>
    /// <param name="originalDestinationConnectionId">The client Initial's Destination Connection ID (covered by the tag).</param>
    /// <param name="retrySourceConnectionId">The server's new connection ID (the Retry's Source); must differ from the original DCID.</param>
    /// <param name="token">The Retry Token (never empty).</param>
    /// <param name="bytesWritten">The packet's length.</param>
    /// <param name="unusedBits">The four unused low bits of the first byte (random when null, RFC 9000 §17.2.5).</param>
    /// <exception cref="ArgumentException">An unsupported version, a connection ID over 20 bytes, an empty token, or a
    /// Retry Source Connection ID equal to the original DCID (the client would discard it, RFC 9000 §17.2.5.2).</exception>
    public static bool TryWrite(Span<byte> destination, uint version, ReadOnlySpan<byte> clientSourceConnectionId,
        ReadOnlySpan<byte> originalDestinationConnectionId, ReadOnlySpan<byte> retrySourceConnectionId, ReadOnlySpan<byte> token,
        out int bytesWritten, byte? unusedBits = null)
    {
        bytesWritten = 0;
        if (retrySourceConnectionId.SequenceEqual(originalDestinationConnectionId))
            throw new ArgumentException("The Retry's Source Connection ID must differ from the client's original Destination Connection ID (RFC 9000 §17.2.5.2).", nameof(retrySourceConnectionId));
        if (originalDestinationConnectionId.Length > ConnectionId.MaxLength)
            throw new ArgumentException($"A connection ID is at most {ConnectionId.MaxLength} bytes; got {originalDestinationConnectionId.Length}.", nameof(originalDestinationConnectionId));
        byte unused = unusedBits ?? (byte)RandomNumberGenerator.GetInt32(16);
        if (!RetryPacket.TryWrite(destination, version, clientSourceConnectionId, retrySourceConnectionId, token, unused, out int tagOffset))
            return false;
        RetryIntegrity.ComputeTag(version, originalDestinationConnectionId, destination.Slice(0, tagOffset),
            destination.Slice(tagOffset, RetryIntegrity.TagLength));
        bytesWritten = tagOffset + RetryIntegrity.TagLength;
        return true;
    }

    /// <summary>
    /// Answers a client Initial with a Retry: picks a random Retry Source Connection ID of
    /// <paramref name="localConnectionIdLength"/> bytes (different from the original DCID), issues a Retry token for it
    /// with <paramref name="protector"/>, and writes the packet. False when <paramref name="destination"/> is too short.
    /// </summary>
    /// <param name="destination">Receives the packet (<see cref="RetryPacket.GetLength"/> with a <see cref="AddressValidationTokenProtector.RetryTokenLength"/> token fits).</param>
    /// <param name="protector">Issues the token.</param>
    /// <param name="now">The issue time.</param>
    /// <param name="clientAddress">The client's address as received (only the IP address is bound).</param>
    /// <param name="version">The version of the client's Initial.</param>
    /// <param name="clientSourceConnectionId">The client Initial's Source Connection ID.</param>
    /// <param name="originalDestinationConnectionId">The client Initial's Destination Connection ID.</param>
    /// <param name="localConnectionIdLength">The length of the connection IDs this endpoint issues (1 to 20).</param>
    /// <param name="retrySourceConnectionId">The chosen Retry Source Connection ID.</param>
    /// <param name="bytesWritten">The packet's length.</param>
    /// <exception cref="ArgumentException">Bad arguments, as for <see cref="TryWrite"/>.</exception>
    public static bool TryWriteForInitial(Span<byte> destination, AddressValidationTokenProtector protector, Instant now, SocketAddress clientAddress,
        uint version, ReadOnlySpan<byte> clientSourceConnectionId, ReadOnlySpan<byte> originalDestinationConnectionId,
        int localConnectionIdLength, out ConnectionId retrySourceConnectionId, out int bytesWritten)
    {
        ArgumentNullException.ThrowIfNull(protector);
        if (localConnectionIdLength is < 1 or > ConnectionId.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(localConnectionIdLength), localConnectionIdLength, "A routable connection ID is 1 to 20 bytes.");
        bytesWritten = 0;
        do retrySourceConnectionId = ConnectionId.NewRandom(localConnectionIdLength);
        while (retrySourceConnectionId.Span.SequenceEqual(originalDestinationConnectionId));
        ConnectionId scid = retrySourceConnectionId;
        Span<byte> token = stackalloc byte[AddressValidationTokenProtector.RetryTokenLength];
        if (!protector.TryWriteRetryToken(token, now, clientAddress, originalDestinationConnectionId, scid.Span, out int tokenLength))
            return false;
        return TryWrite(destination, version, clientSourceConnectionId, originalDestinationConnectionId, scid.Span, token.Slice(0, tokenLength), out bytesWritten);
    }
}
