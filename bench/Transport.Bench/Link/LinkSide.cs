namespace Transport.Bench.Link;

/// <summary>The two ends of a <see cref="NamespaceLink"/>.</summary>
public enum LinkSide
{
    /// <summary>Namespace A, address <see cref="NamespaceLink.AddressA"/>.</summary>
    A,

    /// <summary>Namespace B, address <see cref="NamespaceLink.AddressB"/>.</summary>
    B,
}
