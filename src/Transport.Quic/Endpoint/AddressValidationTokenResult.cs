using Transport.Core.Time;
using Transport.Core.Wire;

namespace Transport.Quic.Endpoint;

/// <summary>
/// What <see cref="AddressValidationTokenProtector"/> found in a token. <see cref="Kind"/>, <see cref="IssuedAt"/> and
/// the connection IDs are filled whenever the token was authentic (also for <see cref="AddressValidationTokenStatus.Expired"/>,
/// <see cref="AddressValidationTokenStatus.WrongAddress"/> and <see cref="AddressValidationTokenStatus.WrongKind"/>),
/// and are default otherwise. The default value means "no token".
/// </summary>
public readonly struct AddressValidationTokenResult
{
    internal AddressValidationTokenResult(AddressValidationTokenStatus status, AddressValidationTokenKind kind, Instant issuedAt,
        ConnectionId originalDestinationConnectionId, ConnectionId retrySourceConnectionId)
    {
        Status = status;
        Kind = kind;
        IssuedAt = issuedAt;
        OriginalDestinationConnectionId = originalDestinationConnectionId;
        RetrySourceConnectionId = retrySourceConnectionId;
    }

    internal AddressValidationTokenResult(AddressValidationTokenStatus status) : this(status, default, default, default, default) { }

    /// <summary>The verdict.</summary>
    public AddressValidationTokenStatus Status { get; }

    /// <summary>True when <see cref="Status"/> is <see cref="AddressValidationTokenStatus.Valid"/>: the client's address is validated.</summary>
    public bool IsValid => Status == AddressValidationTokenStatus.Valid;

    /// <summary>The authenticated kind of the token, or <see cref="AddressValidationTokenKind.None"/>.</summary>
    public AddressValidationTokenKind Kind { get; }

    /// <summary>When the token was issued, on the timeline of the instants given to the protector.</summary>
    public Instant IssuedAt { get; }

    /// <summary>
    /// For a Retry token: the Destination Connection ID of the client's first Initial, which the server puts in its
    /// original_destination_connection_id transport parameter (RFC 9000 §7.3). Empty for NEW_TOKEN tokens.
    /// </summary>
    public ConnectionId OriginalDestinationConnectionId { get; }

    /// <summary>
    /// For a Retry token: the Source Connection ID of the Retry packet, for the retry_source_connection_id transport
    /// parameter (RFC 9000 §7.3); the client's new Initial should carry it as its Destination Connection ID. Empty for
    /// NEW_TOKEN tokens.
    /// </summary>
    public ConnectionId RetrySourceConnectionId { get; }

    /// <summary>The status, and the kind when authenticated, for logs.</summary>
    public override string ToString() => Kind == AddressValidationTokenKind.None ? Status.ToString() : $"{Status} ({Kind})";
}
