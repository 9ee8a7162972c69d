//! Meteor-M LRPT products.
