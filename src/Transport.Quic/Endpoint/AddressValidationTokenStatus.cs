namespace Transport.Quic.Endpoint;

/// <summary>The outcome of checking an address validation token.</summary>
public enum AddressValidationTokenStatus
{
    /// <summary>The Initial carried no token.</summary>
    Missing = 0,

    /// <summary>Authentic, unexpired, issued to this address (and of the expected kind, when one was asked for).</summary>
    Valid,

    /// <summary>Not a token of this server's format: unknown kind byte or wrong length (perhaps another server's).</summary>
    Malformed,

    /// <summary>The format fits but authentication failed, or it was issued under a key no longer kept.</summary>
    Forged,

    /// <summary>Authentic, but older than its kind's lifetime (or dated in the future: the clock was reset).</summary>
    Expired,

    /// <summary>Authentic and unexpired, but issued to another client IP address.</summary>
    WrongAddress,

    /// <summary>Authentic, but a Retry token where a NEW_TOKEN token was expected or the other way round.</summary>
    WrongKind,
}
