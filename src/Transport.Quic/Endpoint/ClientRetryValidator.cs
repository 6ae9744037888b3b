using Transport.Core.Wire;
using Transport.Quic.Crypto;
using Transport.Quic.Packets;

namespace Transport.Quic.Endpoint;

/// <summary>
/// A client's checks on Retry packets (RFC 9000 §17.2.5.2, RFC 9001 §5.8), for one connection attempt: the Retry must
/// parse, carry a token, be of the client's version, be addressed to the client's Source Connection ID, carry a valid
/// integrity tag over the client's original Destination Connection ID, offer a new Source Connection ID, and be the
/// first Retry, received before any server Initial was processed. Once one is accepted, every later Retry is discarded.
/// Not thread-safe (it belongs to one connection).
/// </summary>
public sealed class ClientRetryValidator
{
    /// <summary>Checks for a client that sent its first Initial with these fields.</summary>
    /// <param name="version">The version of the client's Initial.</param>
    /// <param name="originalDestinationConnectionId">The Destination Connection ID of the client's first Initial.</param>
    /// <param name="clientSourceConnectionId">The client's Source Connection ID.</param>
    public ClientRetryValidator(uint version, ConnectionId originalDestinationConnectionId, ConnectionId clientSourceConnectionId)
    {
        Version = version;
        OriginalDestinationConnectionId = originalDestinationConnectionId;
        ClientSourceConnectionId = clientSourceConnectionId;
    }

    /// <summary>The version of the client's Initial.</summary>
    public uint Version { get; }

    /// <summary>The Destination Connection ID of the client's first Initial.</summary>
    public ConnectionId OriginalDestinationConnectionId { get; }

    /// <summary>The client's Source Connection ID.</summary>
    public ConnectionId ClientSourceConnectionId { get; }

    /// <summary>True once a Retry was accepted.</summary>
    public bool HasAcceptedRetry { get; private set; }

    /// <summary>
    /// The accepted Retry's Source Connection ID: the client's new Destination Connection ID, and the value the
    /// server's retry_source_connection_id transport parameter must match (RFC 9000 §7.3).
    /// </summary>
    public ConnectionId RetrySourceConnectionId { get; private set; }

    /// <summary>True once the client processed an Initial from the server; Retries are then discarded.</summary>
    public bool HasProcessedServerInitial { get; private set; }

    /// <summary>Records that an Initial packet from the server was processed (RFC 9000 §17.2.5.2).</summary>
    public void OnServerInitialProcessed() => HasProcessedServerInitial = true;

    /// <summary>
    /// Checks a received Retry packet (the rest of the datagram) and, when it is <see cref="RetryCheckResult.Accepted"/>,
    /// records it and returns its token and Source Connection ID through <paramref name="retry"/>. Never throws for
    /// the packet.
    /// </summary>
    public RetryCheckResult Check(ReadOnlySpan<byte> packet, out RetryPacket retry)
    {
        retry = default;
        if (HasAcceptedRetry || HasProcessedServerInitial) return RetryCheckResult.TooLate;
        if (!RetryPacket.TryParse(packet, out RetryPacket parsed)) return RetryCheckResult.Malformed;
        if (parsed.Version != Version) return RetryCheckResult.WrongVersion;
        if (!parsed.DestinationConnectionId.SequenceEqual(ClientSourceConnectionId.Span)) return RetryCheckResult.WrongDestination;
        ConnectionId odcid = OriginalDestinationConnectionId;
        if (!RetryIntegrity.Verify(Version, odcid.Span, packet)) return RetryCheckResult.InvalidIntegrityTag;
        if (parsed.SourceConnectionId.SequenceEqual(odcid.Span)) return RetryCheckResult.SameSourceConnectionId;
        HasAcceptedRetry = true;
        RetrySourceConnectionId = new ConnectionId(parsed.SourceConnectionId);
        retry = parsed;
        return RetryCheckResult.Accepted;
    }
}
