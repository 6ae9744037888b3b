namespace Transport.Quic.Frames;

/// <summary>NEW_TOKEN (RFC 9000 §19.7): a token the client can use in the Initial packet of a future connection.</summary>
public readonly ref struct NewTokenFrame
{
    /// <summary>Describes a NEW_TOKEN frame.</summary>
    public NewTokenFrame(ReadOnlySpan<byte> token) => Token = token;

    /// <summary>The opaque token; never empty in a valid frame.</summary>
    public ReadOnlySpan<byte> Token { get; }
}
