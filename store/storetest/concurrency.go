package storetest

var concurrencyTests = []test{}
