namespace Transport.Interop.Http3;

/// <summary>One field line (name, value) of an HTTP field section. Bytes map to chars one-to-one (Latin-1).</summary>
public readonly record struct HeaderField(string Name, string Value);
