"""Background workers. `inbound`: drains the durable inbox into the domain (see `processor`)."""
