" gopay-miniapp: nothing starts until require('gopay_miniapp').setup() (see README.md).
